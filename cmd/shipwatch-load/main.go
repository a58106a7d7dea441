// Command shipwatch-load is Shipwatch's webhook load and fault test (make
// loadtest, make faulttest). It creates a database of its own on the local
// PostgreSQL, runs a real server on a loopback port, posts signed webhooks
// for a bounded time, prints events per second, latency and a
// reconciliation, and drops the database. With --restart-postgres it
// restarts the local PostgreSQL mid-load: that stops every other user of
// that server for a few seconds.
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
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/loadtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shipwatch-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "the local PostgreSQL server (loopback only)")
	duration := fs.Duration("duration", 60*time.Second, "how long to send")
	senders := fs.Int("senders", 32, "concurrent senders")
	events := fs.Int("events", 5, "new carrier events per webhook")
	parcels := fs.Int("parcels", 20000, "shipments the events are for")
	maxWebhooks := fs.Int64("max-webhooks", 5_000_000, "stop after this many webhooks")
	restart := fs.Bool("restart-postgres", false, "restart the local PostgreSQL mid-load (fault test)")
	restartAt := fs.Duration("restart-at", 20*time.Second, "when to restart, into the load")
	keep := fs.Bool("keep", false, "keep the run's database for inspection")
	verbose := fs.Bool("v", false, "log the server's warnings and errors")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run (server and senders) to this file")
	provider := fs.String("provider", "easypost", "whose webhooks to post: easypost, 17track, shippo, all (one run each, in turn, then a comparison) or together (the three at once on one server, the senders shared out)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	level := slog.LevelError + 4 // quiet: the report counts what went wrong
	if *verbose {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	together := strings.EqualFold(*provider, "together")
	runs, ok := providerRuns[strings.ToLower(*provider)]
	if together {
		runs, ok = providerRuns["all"], !*restart
	}
	if !ok {
		fmt.Fprintf(stderr, "shipwatch-load: --provider %q is not easypost, 17track, shippo, all or together (without --restart-postgres)\n", *provider)
		return 2
	}
	opts := loadtest.Options{
		Duration: *duration, Grace: 60 * time.Second, Drain: 5 * time.Minute,
		Senders: *senders, EventsPerWebhook: *events, Parcels: *parcels, MaxWebhooks: *maxWebhooks, Log: log,
	}
	if *restart {
		opts.RestartAt = *restartAt
		opts.Restart = loadtest.RestartCommand("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "shipwatch-load:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "shipwatch-load:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	if together {
		reps, err := runTogether(ctx, opts, runs, *server, *keep, stderr)
		code := 0
		for _, rep := range reps {
			rep.Print(stdout)
			if !rep.OK() {
				code = 1
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "shipwatch-load:", err)
			code = 1
		}
		loadtest.PrintComparison(stdout, reps)
		return code
	}
	code := 0
	var reps []loadtest.Report
	for _, p := range runs {
		opts.Provider = p
		rep, err := runOne(ctx, opts, *server, *keep, stderr)
		rep.Print(stdout)
		switch {
		case err != nil:
			fmt.Fprintln(stderr, "shipwatch-load:", err)
			code = 1
		case !rep.OK():
			code = 1
		}
		reps = append(reps, rep)
		if ctx.Err() != nil {
			break
		}
	}
	if len(reps) > 1 {
		loadtest.PrintComparison(stdout, reps)
	}
	return code
}

// providerRuns are the providers of each --provider value, in run order.
var providerRuns = map[string][]string{
	"easypost": {monitor.ProviderEasyPost},
	"17track":  {monitor.ProviderSeventeenTrack},
	"shippo":   {monitor.ProviderShippo},
	"all":      {monitor.ProviderEasyPost, monitor.ProviderSeventeenTrack, monitor.ProviderShippo},
}

// runTogether runs the providers' loads at once on one database.
func runTogether(ctx context.Context, opts loadtest.Options, providers []string, server string, keep bool, stderr io.Writer) ([]loadtest.Report, error) {
	name := "shipwatch_load_" + suffix()
	dsn, err := withDatabase(server, name)
	if err != nil {
		return nil, err
	}
	opts.DatabaseURL = dsn
	if !keep {
		defer drop(server, name, stderr)
	}
	fmt.Fprintf(stderr, "shipwatch-load: %v at once, database %s, %s of load...\n", providers, name, opts.Duration)
	return loadtest.RunTogether(ctx, opts, providers)
}

// runOne runs the load for one provider on a database of its own.
func runOne(ctx context.Context, opts loadtest.Options, server string, keep bool, stderr io.Writer) (loadtest.Report, error) {
	name := "shipwatch_load_" + suffix()
	dsn, err := withDatabase(server, name)
	if err != nil {
		return loadtest.Report{Options: opts}, err
	}
	opts.DatabaseURL = dsn
	if !keep {
		defer drop(server, name, stderr)
	}
	fmt.Fprintf(stderr, "shipwatch-load: %s, database %s, %s of load...\n", opts.Provider, name, opts.Duration)
	return loadtest.Run(ctx, opts)
}

func withDatabase(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("--postgres: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// drop removes the run's database, waiting out a PostgreSQL that is
// still coming back from the fault test.
func drop(server, name string, stderr io.Writer) {
	db, err := sql.Open("postgres", server)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-load: drop database:", err)
		return
	}
	defer db.Close()
	for i := 0; ; i++ {
		_, err = db.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
		if err == nil || i == 20 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch-load: drop database:", err)
	}
}

func suffix() string {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}
