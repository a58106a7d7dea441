package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/simulate"
)

const webhookSecret = "soak-webhook-secret"

// webhooks is the carrier-event load on one seller's parcels: each webhook
// carries new scans of one parcel, dated a second apart from an epoch 90
// days back, so no two webhooks carry the same event and every scanned
// parcel is soon STALLED (a time-based flag the sweep keeps).
type webhooks struct {
	url     string
	numbers []string
	epoch   time.Time
	perHook int
	seq     atomic.Int64

	mu        sync.Mutex
	acked     []int64
	latencies []time.Duration
	refused   int64 // 4xx: a bug in the load or the server
	retries   int64
	gaveUp    int64
}

func (w *webhooks) events(s int64) (string, []shipment.Event) {
	number := w.numbers[s%int64(len(w.numbers))]
	evs := make([]shipment.Event, w.perHook)
	for j := range evs {
		n := s*int64(w.perHook) + int64(j)
		evs[j] = shipment.Event{
			TrackingNumber: number, Carrier: "ups", OccurredAt: w.epoch.Add(time.Duration(n) * time.Second),
			Status: shipment.StatusInTransit, CarrierStatus: "AR", Description: "Arrived at Facility",
			Location: shipment.Location{City: "LOUISVILLE", Region: "KY", Country: "US"},
		}
	}
	return number, evs
}

func (w *webhooks) body(s int64) []byte {
	number, evs := w.events(s)
	return simulate.EasyPostPayload(number, "ups", evs, w.epoch)
}

// send posts webhooks until sendUntil, retrying 5xx and connection errors
// (as providers do) until retryUntil.
func (w *webhooks) send(ctx context.Context, hc *http.Client, sendUntil, retryUntil time.Time) {
	for ctx.Err() == nil && time.Now().Before(sendUntil) {
		s := w.seq.Add(1) - 1
		body := w.body(s)
		header, sig := simulate.SignEasyPost(body, webhookSecret)
		for attempt := 0; ; attempt++ {
			began := time.Now()
			status, err := post(ctx, hc, w.url, body, header, sig)
			if err == nil && status >= 200 && status < 300 {
				w.mu.Lock()
				w.acked = append(w.acked, s)
				w.latencies = append(w.latencies, time.Since(began))
				w.mu.Unlock()
				break
			}
			if err == nil && status < 500 {
				w.mu.Lock()
				w.refused++
				w.mu.Unlock()
				break
			}
			if ctx.Err() != nil || time.Now().After(retryUntil) {
				w.mu.Lock()
				w.gaveUp++
				w.mu.Unlock()
				break
			}
			w.mu.Lock()
			w.retries++
			w.mu.Unlock()
			pause(ctx, min(50*time.Millisecond<<min(attempt, 6), 2*time.Second))
		}
	}
}

func post(ctx context.Context, hc *http.Client, url string, body []byte, header, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, sig)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// createShipments creates shipments through the API in batches of 500.
func createShipments(ctx context.Context, c *client, key string, in []map[string]any) ([]string, error) {
	var ids []string
	for start := 0; start < len(in); start += 500 {
		var out struct {
			CreateShipments struct {
				Shipments []*struct{ ID string }
				Errors    []struct{ Message string }
			}
		}
		err := c.graphql(ctx, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id } errors { message } } }`,
			map[string]any{"in": in[start:min(start+500, len(in))]}, &out)
		if err != nil {
			return nil, fmt.Errorf("create shipments: %w", err)
		}
		if len(out.CreateShipments.Errors) > 0 {
			return nil, fmt.Errorf("create shipments: %s", out.CreateShipments.Errors[0].Message)
		}
		for _, s := range out.CreateShipments.Shipments {
			if s != nil {
				ids = append(ids, s.ID)
			}
		}
	}
	return ids, nil
}

// writer is the second seller: small batches of shipments that shipped
// three days ago and were never scanned, each of which the write-caused
// check must flag INACTIVE_TRACKING at once. The delay from a write to its
// flag is read from the database afterwards (flag raised_at against
// shipment created_at, both the server's clock).
type writer struct {
	key     string
	batch   int
	every   time.Duration
	numbers func(int) (string, string)
	next    int
	errors  int64
	lastErr error
}

func (w *writer) run(ctx context.Context, c *client, until time.Time) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for ctx.Err() == nil && time.Now().Before(until) {
		in := make([]map[string]any, w.batch)
		shipped := time.Now().UTC().Add(-72 * time.Hour).Format(time.RFC3339)
		for i := range in {
			number, carrier := w.numbers(w.next)
			in[i] = map[string]any{"orderId": fmt.Sprintf("SMALL-%07d", w.next), "carrier": carrier,
				"trackingNumber": number, "shippedAt": shipped}
			w.next++
		}
		if _, err := createShipments(ctx, c, w.key, in); err != nil && ctx.Err() == nil {
			w.errors++
			w.lastErr = err
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// reader pages through sellers' shipments with their events and flags, and
// their open flags, as a dashboard would.
type reader struct {
	keys      []string
	reads     int64
	errors    int64
	lastErr   error
	latencies []time.Duration
}

const readQuery = `query($after: String) {
  shipments(first: 50, after: $after) { edges { node { id status
    events(first: 5) { edges { node { occurredAt status } } }
    flags(first: 5) { edges { node { kind raisedAt } } } } }
    pageInfo { hasNextPage endCursor } }
  flags(filter: {open: true}, first: 50) { edges { node { id kind } } }
}`

func (r *reader) run(ctx context.Context, c *client, until time.Time) {
	after := make([]any, len(r.keys))
	for i := 0; ctx.Err() == nil && time.Now().Before(until); i++ {
		k := i % len(r.keys)
		var out struct {
			Shipments struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		began := time.Now()
		err := c.graphql(ctx, r.keys[k], readQuery, map[string]any{"after": after[k]}, &out)
		r.latencies = append(r.latencies, time.Since(began))
		r.reads++
		if err != nil {
			if ctx.Err() == nil {
				r.errors++
				r.lastErr = err
			}
			continue
		}
		after[k] = nil
		if out.Shipments.PageInfo.HasNextPage {
			after[k] = out.Shipments.PageInfo.EndCursor
		}
		pause(ctx, 100*time.Millisecond)
	}
}

// smallNumbers are the second seller's tracking numbers: valid, from a
// seed of their own.
func smallNumbers() func(int) (string, string) { return ingesttest.Numbers(7) }

func percentiles(ds []time.Duration) (p50, p99, max time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	return s[n/2], s[min(n-1, n*99/100)], s[n-1]
}
