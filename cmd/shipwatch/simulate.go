package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/simulate"
)

const simulateHelp = `Usage: shipwatch simulate --api-key KEY [flags]

Plays carriers for a running Shipwatch server. It lists the seller's
shipments over GraphQL, creates a tracking source with a fresh secret, and
posts signed EasyPost or AfterShip webhooks to it: one per new carrier event
(label, acceptance, hops, out for delivery, delivery or a problem), each
carrying every event so far. It stops when every shipment's life is played,
when --duration passes, or on Ctrl-C, and prints a summary.

Flags:
  --url URL          the server (default $SHIPWATCH_URL, else the local listen
                     address $SHIPWATCH_ADDR, else http://127.0.0.1:8080)
  --api-key KEY      an API key of the seller (default $SHIPWATCH_API_KEY; required)
  --provider NAME    easypost or aftership (default easypost), or carriers: serve
                     the lives from fake UPS, FedEx and USPS APIs on 127.0.0.1 and
                     add carrier accounts pointing at them, which the server polls
                     (it must run with SHIPWATCH_CARRIER_ALLOW_CIDRS=127.0.0.0/8)
  --rate N           webhooks per second (default 10)
  --duration D       stop after D, e.g. 90s or 10m; 0 plays every life (default 0)
  --until-now        send only the events dated up to now: recent shipments stay
                     on their way instead of being delivered in the future
  --mix WEIGHTS      outcome weights (default %s)
                     outcomes: delivered (signed, on time), inactive (label never
                     scanned), stalled (silent mid-route), exception, attempt
                     (failed attempt, delivered next day), returned (to sender),
                     late (delivered after the promised date)
  --seed N           the same seed gives each shipment the same life (default 1)

Exit status: 0 when every webhook was accepted (or on Ctrl-C), 1 when some
were rejected or failed or the run could not start, 2 on bad flags.
`

// runSimulate is the "shipwatch simulate" command.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := simulateOptions(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, simulateHelp, simulate.DefaultMix())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch simulate: %v (see shipwatch simulate --help)\n", err)
		return 2
	}
	opts.Log = newLogger(stderr, os.Getenv("LOG_FORMAT"), slog.LevelInfo)

	start := time.Now()
	stats, err := simulate.Run(ctx, opts)
	if stats.Shipments > 0 || stats.Sent > 0 {
		fmt.Fprintf(stdout, "simulated %d shipments (%d skipped) as %s in %s: %d webhooks sent, %d accepted, %d rejected, %d failed, %d retries, %d events\n",
			stats.Shipments, stats.Skipped, opts.Provider, time.Since(start).Round(100*time.Millisecond),
			stats.Sent, stats.Accepted, stats.Rejected, stats.Failed, stats.Retries, stats.Events)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "shipwatch simulate: %v\n", err)
		return 1
	case stats.Rejected > 0 || stats.Failed > 0:
		return 1
	}
	return 0
}

// simulateOptions reads the flags and environment into simulate.Options.
// Errors are one line each; flag.ErrHelp asks for the help text.
func simulateOptions(args []string) (simulate.Options, error) {
	baseURL := serverURL(os.Getenv)
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var opts simulate.Options
	fs.StringVar(&opts.BaseURL, "url", baseURL, "")
	fs.StringVar(&opts.APIKey, "api-key", os.Getenv("SHIPWATCH_API_KEY"), "")
	fs.StringVar(&opts.Provider, "provider", simulate.ProviderEasyPost, "")
	fs.Float64Var(&opts.Rate, "rate", 10, "")
	fs.DurationVar(&opts.Duration, "duration", 0, "")
	untilNow := fs.Bool("until-now", false, "")
	mix := fs.String("mix", simulate.DefaultMix().String(), "")
	fs.Uint64Var(&opts.Seed, "seed", 1, "")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	opts.Provider = strings.ToLower(strings.TrimSpace(opts.Provider))
	if opts.Provider != simulate.ProviderEasyPost && opts.Provider != simulate.ProviderAfterShip && opts.Provider != simulate.ProviderCarriers {
		return opts, fmt.Errorf("--provider must be easypost, aftership or carriers, not %q", opts.Provider)
	}
	if u, err := url.Parse(opts.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return opts, fmt.Errorf("--url %q is not an http(s) URL", opts.BaseURL)
	}
	if strings.TrimSpace(opts.APIKey) == "" {
		return opts, errors.New("--api-key (or SHIPWATCH_API_KEY) is required")
	}
	if !(opts.Rate > 0) || opts.Rate > 10_000 {
		return opts, fmt.Errorf("--rate must be above 0 and at most 10000, not %v", opts.Rate)
	}
	if opts.Duration < 0 {
		return opts, fmt.Errorf("--duration must not be negative, not %v", opts.Duration)
	}
	m, err := simulate.ParseMix(*mix)
	if err != nil {
		return opts, fmt.Errorf("--%w", err)
	}
	opts.Mix = m
	if *untilNow {
		opts.Until = time.Now()
	}
	return opts, nil
}
