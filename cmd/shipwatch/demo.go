package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/simulate"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

const demoHelp = `Usage: shipwatch demo [flags]

Fills a running Shipwatch server with a demo seller: it creates the seller
and an API key in the database (DATABASE_URL, the server's), creates a few
hundred shipments through the server's GraphQL API with real-looking UPS,
USPS and FedEx numbers shipped over the last days, then plays their carrier
lives up to now through the server's webhook endpoints (see shipwatch
simulate): most are delivered, some never scanned, stalled, in exception,
attempted, returned or late. It prints the API key and a query to paste
into the playground.

Start the server first (make run), then run this in another terminal.

Flags:
  --url URL          the running server (default $SHIPWATCH_URL, else the local
                     listen address $SHIPWATCH_ADDR, else http://127.0.0.1:8080)
  --shipments N      how many shipments (default 300, at most 5000)
  --days N           shipped over the last N days (default 8)
  --provider NAME    easypost or aftership (default easypost), or carriers: serve
                     the lives from fake UPS, FedEx and USPS APIs on 127.0.0.1 and
                     add carrier accounts pointing at them, which the server polls
                     (it must run with SHIPWATCH_CARRIER_ALLOW_CIDRS=127.0.0.0/8)
  --rate N           webhooks per second (default 300)
  --seed N           the same seed gives the same shipments and lives (default: random)
`

// demoOptions are the demo's flags.
type demoOptions struct {
	url       string
	shipments int
	days      int
	provider  string
	rate      float64
	seed      uint64
}

// runDemo is the "shipwatch demo" command.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	opts, err := parseDemo(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, demoHelp)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch demo: %v (see shipwatch demo --help)\n", err)
		return 2
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if err := ping(ctx, client, opts.url); err != nil {
		fmt.Fprintf(stderr, "shipwatch demo: nothing answers at %s (%v): start the server first with `make run`\n", opts.url, err)
		return 1
	}

	var sellerID, apiKey string
	code := withStore(ctx, stderr, getenv, func(st *store.Store) error {
		sel, err := st.InsertSeller(ctx, "Demo shop "+time.Now().UTC().Format("2006-01-02 15:04"))
		if err != nil {
			return err
		}
		_, key, err := st.InsertAPIKey(ctx, sel.ID)
		sellerID, apiKey = sel.ID, key
		return err
	})
	if code != 0 {
		return code
	}

	rng := rand.New(rand.NewPCG(opts.seed, opts.seed^0x5eed))
	now := time.Now().UTC()
	gql := &demoAPI{endpoint: strings.TrimRight(opts.url, "/") + "/graphql", key: apiKey, http: client}
	created, err := gql.createShipments(ctx, demoShipments(rng, opts.shipments, opts.days, now))
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch demo: create shipments: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "created %d shipments for seller %s; playing their carrier lives up to now...\n", created, sellerID)

	start := time.Now()
	stats, err := simulate.Run(ctx, simulate.Options{
		BaseURL: opts.url, APIKey: apiKey, Provider: opts.provider, Rate: opts.rate, Until: now,
		Seed: opts.seed, Log: newLogger(stderr, getenv("LOG_FORMAT"), slog.LevelWarn), HTTPClient: client,
	})
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch demo: simulate: %v\n", err)
		return 1
	}
	if opts.provider == simulate.ProviderCarriers {
		fmt.Fprintf(stderr, "the server polled the fake carriers with %d requests (%d events) in %s\n",
			stats.Sent, stats.Events, time.Since(start).Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(stderr, "sent %d %s webhooks (%d events) in %s: %d accepted, %d rejected, %d failed\n",
			stats.Sent, opts.provider, stats.Events, time.Since(start).Round(100*time.Millisecond), stats.Accepted, stats.Rejected, stats.Failed)
	}
	printDemo(stdout, opts.url, sellerID, apiKey, created)
	if stats.Rejected > 0 || stats.Failed > 0 {
		return 1
	}
	return 0
}

func parseDemo(args []string, getenv config.Env) (demoOptions, error) {
	opts := demoOptions{url: serverURL(getenv)}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&opts.url, "url", opts.url, "")
	fs.IntVar(&opts.shipments, "shipments", 300, "")
	fs.IntVar(&opts.days, "days", 8, "")
	fs.StringVar(&opts.provider, "provider", simulate.ProviderEasyPost, "")
	fs.Float64Var(&opts.rate, "rate", 300, "")
	fs.Uint64Var(&opts.seed, "seed", rand.Uint64(), "")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	switch {
	case fs.NArg() > 0:
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case opts.shipments < 1 || opts.shipments > 5000:
		return opts, fmt.Errorf("--shipments must be between 1 and 5000, not %d", opts.shipments)
	case opts.days < 1 || opts.days > 60:
		return opts, fmt.Errorf("--days must be between 1 and 60, not %d", opts.days)
	case !(opts.rate > 0) || opts.rate > 10_000:
		return opts, fmt.Errorf("--rate must be above 0 and at most 10000, not %v", opts.rate)
	}
	opts.provider = strings.ToLower(strings.TrimSpace(opts.provider))
	if opts.provider != simulate.ProviderEasyPost && opts.provider != simulate.ProviderAfterShip && opts.provider != simulate.ProviderCarriers {
		return opts, fmt.Errorf("--provider must be easypost, aftership or carriers, not %q", opts.provider)
	}
	if u, err := url.Parse(opts.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return opts, fmt.Errorf("--url %q is not an http(s) URL", opts.url)
	}
	return opts, nil
}

// ping checks that a Shipwatch server answers at base.
func ping(ctx context.Context, client *http.Client, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

// demoShipments invents n orders shipped over the last days: one in two
// by UPS, the rest by USPS and FedEx, each promised three to five days
// after it shipped.
func demoShipments(rng *rand.Rand, n, days int, now time.Time) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		carrier := []string{"ups", "ups", "usps", "fedex"}[rng.IntN(4)]
		shipped := now.Add(-time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour)))).Truncate(time.Minute)
		deliverBy := shipped.AddDate(0, 0, 3+rng.IntN(3)).Truncate(24 * time.Hour).Add(24*time.Hour - time.Second)
		out[i] = map[string]any{
			"orderId":        fmt.Sprintf("DEMO-%05d", 10001+i),
			"carrier":        carrier,
			"trackingNumber": demoNumber(rng, carrier),
			"service":        map[string]string{"ups": "Ground", "usps": "Priority Mail", "fedex": "Home Delivery"}[carrier],
			"shippedAt":      shipped.Format(time.RFC3339),
			"deliverBy":      deliverBy.Format(time.RFC3339),
			"destination":    map[string]any{"postalCode": simulate.DestinationZIP(rng), "country": "US"},
		}
	}
	return out
}

// demoNumber makes a tracking number in the carrier's real format whose
// check digit holds: the body is random and the check digit is the one
// the tracking package accepts.
func demoNumber(rng *rand.Rand, carrier string) string {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for {
		var body string
		switch carrier {
		case "ups":
			const alnum = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
			shipper := make([]byte, 6)
			for i := range shipper {
				shipper[i] = alnum[rng.IntN(len(alnum))]
			}
			body = "1Z" + string(shipper) + "03" + digits(7)
		case "usps":
			body = "9400" + digits(17)
		default:
			body = digits(11)
		}
		for d := byte('0'); d <= '9'; d++ {
			if n := body + string(d); tracking.Check(n, carrier).Valid {
				return n
			}
		}
	}
}

// demoAPI is the little of the GraphQL API the demo needs.
type demoAPI struct {
	endpoint, key string
	http          *http.Client
}

func (a *demoAPI) createShipments(ctx context.Context, list []map[string]any) (int, error) {
	const batch = 500
	created := 0
	for start := 0; start < len(list); start += batch {
		items := list[start:min(start+batch, len(list))]
		var out struct {
			CreateShipments struct {
				Created int
				Errors  []struct{ Message string }
			}
		}
		if err := a.do(ctx, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created errors { message } } }`,
			map[string]any{"in": items}, &out); err != nil {
			return created, err
		}
		if errs := out.CreateShipments.Errors; len(errs) > 0 {
			return created, errors.New(errs[0].Message)
		}
		created += out.CreateShipments.Created
	}
	return created, nil
}

func (a *demoAPI) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var envelope struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&envelope); err != nil {
		return fmt.Errorf("%s: not a GraphQL response", resp.Status)
	}
	if len(envelope.Errors) > 0 {
		if envelope.Errors[0].Extensions.Code == "UNAUTHENTICATED" {
			return errors.New("the server refused the demo's API key: it does not use the database in DATABASE_URL")
		}
		return errors.New(envelope.Errors[0].Message)
	}
	return json.Unmarshal(envelope.Data, out)
}

const demoQuery = `{
  openFlags: flags(filter: {open: true}, first: 20) {
    totalCount
    edges { node { kind severity message raisedAt shipment { orderId status } } }
  }
  clearedFlags: flags(filter: {open: false}, first: 5) {
    totalCount
    edges { node { kind resolution raisedAt resolvedAt shipment { orderId status } } }
  }
  accountHealth { validTrackingRate { rate status } onTimeDeliveryRate { rate status } }
  shipments(first: 20, filter: {statuses: [EXCEPTION, DELIVERY_ATTEMPTED, RETURNED_TO_SENDER]}) {
    totalCount
    edges { node {
      orderId carrier trackingNumber status shippedAt deliverBy lastEventAt estimatedDeliveryAt
      events(first: 20) { edges { node {
        occurredAt status source description location { city region } signedBy
      } } }
    } }
  }
}`

func printDemo(w io.Writer, base, sellerID, apiKey string, shipments int) {
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + apiKey})
	fmt.Fprintf(w, `
Demo seller %s has %d shipments with their carrier events.

API key (shown once):  %s

See it as the seller does: open the dashboard at %s/app and sign in with the key.

Or open the playground at %s/ , put this in its Headers pane:

%s

and run this query (flags raised and cleared, account health, parcels in trouble with
their timelines):

%s

From a terminal:

curl -s %s/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer %s' \
  -d '{"query":"{ shipments(first: 5) { totalCount edges { node { orderId status events(first: 3) { edges { node { occurredAt status description } } } } } } }"}'
`, sellerID, shipments, apiKey, strings.TrimRight(base, "/"), strings.TrimRight(base, "/"), headers, demoQuery, strings.TrimRight(base, "/"), apiKey)
}
