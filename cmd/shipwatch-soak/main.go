// Command shipwatch-soak is Shipwatch's soak test (make soak): on a fresh
// database of the local PostgreSQL, a real server process takes a large
// file import, signed carrier webhooks, small API writes, GraphQL reads and
// a sweep every 10 s at once; once everything has drained it prints
// deadlocks, job errors, sweeps lost, flags against a reference evaluation
// of every rule, and events lost, and drops the database. It exits non-zero
// unless all of them are zero and the small writes got their flags in time.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/soak"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shipwatch-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "the local PostgreSQL server (loopback only)")
	duration := fs.Duration("duration", envDuration("SOAK_DURATION", 10*time.Minute), "how long the webhooks, writes and reads go on (env SOAK_DURATION)")
	rows := fs.Int("rows", envInt("ROWS", 1_000_000), "lines of the imported file (env ROWS)")
	sweep := fs.Duration("sweep", 10*time.Second, "the server's sweep interval")
	senders := fs.Int("senders", 8, "concurrent webhook senders")
	events := fs.Int("events", 5, "new carrier events per webhook")
	parcels := fs.Int("parcels", 20000, "shipments the webhooks are for")
	smallBatch := fs.Int("small-batch", 5, "shipments per small write of the second seller")
	smallEvery := fs.Duration("small-every", time.Second, "how often the second seller writes")
	readers := fs.Int("readers", 2, "concurrent GraphQL readers")
	drain := fs.Duration("drain", 45*time.Minute, "how long to wait, after the load, for the import and the backlog")
	keep := fs.Bool("keep", false, "keep the run's database for inspection")
	verbose := fs.Bool("v", false, "log progress")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *duration <= 0 || *rows < 1 || *senders < 1 || *parcels < 1 || *events < 1 || *events > 100 ||
		*smallBatch < 1 || *smallEvery <= 0 || *readers < 1 || *sweep < time.Second {
		fmt.Fprintln(stderr, "shipwatch-soak: duration, rows, senders, parcels, events (1-100), small-batch, small-every and readers must be positive; sweep at least 1s")
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	name := "shipwatch_soak_" + suffix()
	dsn, err := create(ctx, *server, name)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-soak:", err)
		return 2
	}
	if !*keep {
		defer drop(*server, name, stderr)
	}
	dir, err := os.MkdirTemp("", "shipwatch-soak-")
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-soak:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(stderr, "shipwatch-soak: database %s, %s of load, %d rows...\n", name, *duration, *rows)
	rep, err := soak.Run(ctx, soak.Options{
		DatabaseURL: dsn, Duration: *duration, Rows: *rows, Sweep: *sweep,
		Senders: *senders, EventsPerWebhook: *events, Parcels: *parcels,
		SmallBatch: *smallBatch, SmallEvery: *smallEvery, Readers: *readers,
		Drain: *drain, Dir: dir, Log: log,
	})
	rep.Print(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-soak:", err)
		return 1
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "shipwatch-soak: %s=%q is not a duration (such as 10m); using %s\n", name, v, def)
	}
	return def
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		fmt.Fprintf(os.Stderr, "shipwatch-soak: %s=%q is not a number; using %d\n", name, v, def)
	}
	return def
}

// create makes the run's database on a loopback PostgreSQL and returns its URL.
func create(ctx context.Context, server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("--postgres: %w", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("--postgres: the database must be on a loopback address, not %q", host)
	}
	db, err := sql.Open("postgres", server)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func drop(server, name string, stderr io.Writer) {
	db, err := sql.Open("postgres", server)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-soak: drop database:", err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
		fmt.Fprintln(stderr, "shipwatch-soak: drop database:", err)
	}
}

func suffix() string {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}
