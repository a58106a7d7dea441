// Command shipwatch runs the Shipwatch fulfillment-monitoring server and its
// operator tools: serve, migrate, seller and API key management, the
// tracking-number checker, the carrier simulator and the demo.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/shipwatch/shipwatch/internal/config"
)

const usage = `shipwatch: fulfillment monitoring for online sellers.

Usage:
  shipwatch serve [--addr :8080]           run the HTTP server and the job workers
  shipwatch migrate                        apply database migrations and exit
  shipwatch seller create --name NAME      create a seller; prints its id and first API key
  shipwatch apikey create --seller ID      create another API key for a seller
  shipwatch apikey list --seller ID        list a seller's API keys (never the secret part)
  shipwatch apikey revoke KEY_ID           revoke an API key
  shipwatch tracking check [--carrier C]   check tracking numbers read from stdin, one per line
  shipwatch healthcheck [--url URL]        exit 0 when a running server is ready
  shipwatch simulate --api-key KEY         play carrier events for a seller's shipments
  shipwatch demo [--url URL]               fill a running server with a demo seller and its parcels
  shipwatch evidence verify --pack F --key K
                                           verify an evidence pack offline with the public key
  shipwatch checkpoint-key [--pem]         print the public key evidence checkpoints are signed with

Each command explains itself with --help. Configuration comes from the
environment (DATABASE_URL, SHIPWATCH_ADDR, ...: see the README).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code: 0 for success,
// 1 for a failure while running, 2 for bad usage or configuration.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Env) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		return runServe(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr, getenv)
	case "seller":
		return runSeller(ctx, rest, stdout, stderr, getenv)
	case "apikey":
		return runAPIKey(ctx, rest, stdout, stderr, getenv)
	case "tracking":
		if len(rest) > 0 && rest[0] == "check" {
			return runTrackingCheck(rest[1:], stdin, stdout, stderr)
		}
		fmt.Fprintln(stderr, "usage: shipwatch tracking check [--carrier CODE] < numbers.txt")
		return 2
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr, getenv)
	case "simulate":
		return runSimulate(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr, getenv)
	case "evidence":
		return runEvidence(rest, stdout, stderr)
	case "checkpoint-key":
		return runCheckpointKey(rest, stdout, stderr, getenv)
	}
	fmt.Fprintf(stderr, "shipwatch: unknown command %q (see shipwatch --help)\n", cmd)
	return 2
}

// newLogger builds the process logger: text on a terminal, JSON otherwise
// or when LOG_FORMAT=json.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
