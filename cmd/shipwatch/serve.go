package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/store"
)

const serveHelp = `Usage: shipwatch serve [--addr :8080]

Runs the HTTP server (GraphQL at /graphql, the playground at /, /healthz,
/readyz, /metrics, webhooks) and the background job workers. The database
is created when missing and migrations are applied first. SIGINT or SIGTERM
drains requests and stops the workers cleanly.

Flags:
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := config.RegisterServe(fs)
	fs.Usage = func() { fmt.Fprint(stderr, serveHelp); fs.PrintDefaults() }
	if code, done := parse(fs, args); done {
		return code
	}
	cfg, err := config.Load(getenv, *addr)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch: bad configuration:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen failed", "addr", cfg.Addr, "err", err)
		return 1
	}
	if err := a.Serve(ctx, ln); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

const migrateHelp = `Usage: shipwatch migrate

Creates the database when missing and applies Shipwatch's and River's
migrations under an advisory lock, then exits. serve does the same on start.
`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, migrateHelp) }
	if code, done := parse(fs, args); done {
		return code
	}
	// withStore creates the database and applies migrations before fn.
	return withStore(ctx, stderr, getenv, func(*store.Store) error {
		_, err := fmt.Fprintln(stdout, "migrations applied")
		return err
	})
}

// parse parses flags; done is true when the command should exit with code
// (help asked for, or bad flags).
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == flag.ErrHelp:
		return 0, true
	case err != nil:
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "shipwatch %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, true
	}
	return 0, false
}
