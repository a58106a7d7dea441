package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/simulate"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// workload is one run's seller, source, parcels and shared counters.
type workload struct {
	opts     Options
	sellerID string
	sourceID string
	// path is the source's webhook path (with a Shippo source's token).
	path    string
	url     string
	numbers []string
	epoch   time.Time // events are dated from here, a second apart
	start   time.Time
	seq     atomic.Int64
	counters

	failMu       sync.Mutex
	restarting   bool
	restartEnded time.Duration
	failures     int64
	firstFailure time.Duration
	lastFailure  time.Duration
	recovered    time.Duration
}

// prepare creates the seller, its source of the run's provider and its
// shipments, the way the API would, before the clock starts.
func prepare(ctx context.Context, a *app.App, opts Options) (*workload, error) {
	sel, err := a.Store.InsertSeller(ctx, "Load test")
	if err != nil {
		return nil, err
	}
	in := monitor.NewSource{Provider: opts.Provider, Secret: secret}
	if opts.Provider == monitor.ProviderShippo {
		in.Secret = ""
	}
	src, err := a.Webhooks.CreateSource(ctx, sel.ID, in)
	if err != nil {
		return nil, err
	}
	path := strings.TrimPrefix(a.Webhooks.WebhookURL(src), a.Config.PublicURL)
	w := &workload{opts: opts, sellerID: sel.ID, sourceID: src.ID, path: path,
		epoch: time.Now().UTC().Add(-90 * 24 * time.Hour).Truncate(time.Hour)}
	w.numbers = make([]string, opts.Parcels)
	for start := 0; start < opts.Parcels; start += monitor.MaxBatch {
		var batch []shipment.Input
		for i := start; i < min(start+monitor.MaxBatch, opts.Parcels); i++ {
			w.numbers[i] = fmt.Sprintf("LT%010d", i)
			batch = append(batch, shipment.Input{OrderID: fmt.Sprintf("LOAD-%d", i), Carrier: "ups", TrackingNumber: w.numbers[i]})
		}
		if _, err := a.Monitor.CreateShipments(ctx, sel.ID, batch); err != nil {
			return nil, fmt.Errorf("create load-test shipments: %w", err)
		}
	}
	return w, nil
}

// events are the carrier events webhook s carries: new scans of one
// parcel, dated by s so that no two webhooks carry the same event.
func (w *workload) events(s int64) (string, []shipment.Event) {
	number := w.numbers[s%int64(len(w.numbers))]
	k := int64(w.opts.EventsPerWebhook)
	evs := make([]shipment.Event, k)
	for j := range evs {
		n := s*k + int64(j)
		wording, where := "Arrived at Facility", "LOUISVILLE"
		if n%2 == 1 {
			wording, where = "Departed Facility", "INDIANAPOLIS"
		}
		evs[j] = shipment.Event{
			TrackingNumber: number, Carrier: "ups", OccurredAt: w.epoch.Add(time.Duration(n) * time.Second),
			Status: shipment.StatusInTransit, CarrierStatus: "AR", Description: wording,
			Location: shipment.Location{City: where, Region: "KY", Country: "US"},
		}
	}
	return number, evs
}

// body is webhook s as the run's provider would post it.
func (w *workload) body(s int64) []byte {
	number, evs := w.events(s)
	switch w.opts.Provider {
	case monitor.ProviderSeventeenTrack:
		return simulate.SeventeenTrackPayload(number, "ups", evs)
	case monitor.ProviderShippo:
		return simulate.ShippoPayload(number, "ups", evs)
	}
	return simulate.EasyPostPayload(number, "ups", evs, w.epoch)
}

// sign returns the signature header of body ("" for Shippo, whose token
// is in the URL).
func (w *workload) sign(body []byte) (header, value string) {
	switch w.opts.Provider {
	case monitor.ProviderSeventeenTrack:
		return simulate.SignSeventeenTrack(body, secret)
	case monitor.ProviderShippo:
		return "", ""
	}
	return simulate.SignEasyPost(body, secret)
}

type senderResult struct {
	acked      []int64
	latencies  []time.Duration
	answers4xx int64
	retries    int64
	gaveUp     int64
}

// sender posts webhooks one after another until sendUntil, retrying one
// refused with a 5xx or a connection error until retryUntil: a sender
// that gives up would make a lost webhook look like a kept promise.
func (w *workload) sender(ctx context.Context, client *http.Client, sendUntil, retryUntil time.Time) senderResult {
	var r senderResult
	for ctx.Err() == nil && time.Now().Before(sendUntil) {
		s, ok := w.nextSeq()
		if !ok {
			return r
		}
		body := w.body(s)
		header, sig := w.sign(body)
		for attempt := 0; ; attempt++ {
			if attempt > 0 {
				r.retries++
			}
			began := time.Now()
			status, err := w.post(ctx, client, body, header, sig)
			at := time.Since(w.start)
			switch {
			case err == nil && status >= 200 && status < 300:
				r.acked = append(r.acked, s)
				r.latencies = append(r.latencies, time.Since(began))
				w.noteSuccess(at)
			case err == nil && status < 500:
				r.answers4xx++
			case err != nil:
				w.connErrors.Add(1)
				w.noteFailure(at)
			default:
				w.answers5xx.Add(1)
				w.noteFailure(at)
			}
			if err == nil && status < 500 {
				break
			}
			if ctx.Err() != nil || time.Now().After(retryUntil) {
				r.gaveUp++
				break
			}
			wait(ctx, attempt)
		}
	}
	return r
}

func (w *workload) post(ctx context.Context, client *http.Client, body []byte, header, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(header, sig)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// drain waits for every delivery to be processed, then for every job the
// processing caused (the monitoring checks of the shipments that moved) to
// finish: end to end means flags raised, not only events stored.
func drain(ctx context.Context, a *app.App, w *workload, rep *Report) error {
	drainStart := time.Now()
	deadline := drainStart.Add(w.opts.Drain)
	for {
		var pending int64
		err := a.DB.GetContext(ctx, &pending, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`)
		if err == nil && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("loadtest: %d deliveries still unprocessed %s after the load (last error: %v)", pending, w.opts.Drain, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	rep.ProcessedAfter = time.Since(drainStart)
	if _, err := settle(ctx, a, deadline); err != nil {
		return fmt.Errorf("loadtest: after the load: %w", err)
	}
	rep.DrainedAfter = time.Since(drainStart)
	return nil
}

// settle waits until no River job waits or runs but the periodic sweep,
// and returns how many were left at the deadline.
func settle(ctx context.Context, a *app.App, deadline time.Time) (int64, error) {
	for {
		var jobs int64
		err := a.DB.GetContext(ctx, &jobs, `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending') AND kind <> 'shipwatch.monitor.sweep'`)
		if err == nil && jobs == 0 {
			return 0, nil
		}
		if time.Now().After(deadline) {
			return jobs, fmt.Errorf("%d jobs still waiting or running (last error: %v)", jobs, err)
		}
		select {
		case <-ctx.Done():
			return jobs, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// reconcile checks that each event of each acknowledged webhook is stored
// exactly once.
func reconcile(ctx context.Context, a *app.App, w *workload, acked []int64, rep *Report) error {
	if err := a.DB.GetContext(ctx, &rep.FailedDeliveries, `SELECT count(*) FROM webhook_deliveries WHERE error IS NOT NULL`); err != nil {
		return fmt.Errorf("loadtest: count failed deliveries: %w", err)
	}

	// Each shipment must stand where its latest event puts it, however
	// the jobs that recorded its events interleaved.
	if err := a.DB.GetContext(ctx, &rep.StaleShipments, `SELECT count(*) FROM shipments sh
		LEFT JOIN LATERAL (
			SELECT status, occurred_at FROM tracking_events e
			WHERE e.seller_id = sh.seller_id AND e.normalized_tracking_number = sh.normalized_tracking_number
			ORDER BY occurred_at DESC, id DESC LIMIT 1
		) l ON true
		WHERE sh.seller_id = $1 AND (sh.last_event_at IS DISTINCT FROM l.occurred_at OR sh.status <> coalesce(l.status, 'PENDING'))`,
		w.sellerID); err != nil {
		return fmt.Errorf("loadtest: check shipments: %w", err)
	}

	// What the server must have stored: the fingerprint of every event of
	// every acknowledged webhook, read back from the bodies the way the
	// server reads them.
	want := make(map[[32]byte]bool, len(acked)*w.opts.EventsPerWebhook)
	for _, s := range acked {
		p, err := monitor.ParseWebhook(w.opts.Provider, w.body(s))
		if err != nil {
			return fmt.Errorf("loadtest: parse webhook %d: %w", s, err)
		}
		norm := tracking.Normalize(p.TrackingNumber)
		for _, e := range p.Events {
			want[shipment.Fingerprint(w.sellerID, norm, e)] = true
		}
	}
	rows, err := a.DB.QueryContext(ctx, `SELECT fingerprint, count(*) FROM tracking_events WHERE seller_id = $1 GROUP BY fingerprint`, w.sellerID)
	if err != nil {
		return fmt.Errorf("loadtest: read events: %w", err)
	}
	defer rows.Close()
	seen := make(map[[32]byte]bool, len(want))
	for rows.Next() {
		var fp []byte
		var n int64
		if err := rows.Scan(&fp, &n); err != nil {
			return fmt.Errorf("loadtest: read events: %w", err)
		}
		rep.Stored += n
		var key [32]byte
		copy(key[:], fp)
		seen[key] = true
		if n > 1 {
			rep.Duplicated += n - 1
		}
		if !want[key] {
			rep.Extra += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loadtest: read events: %w", err)
	}
	for fp := range want {
		if !seen[fp] {
			rep.Missing++
		}
	}
	return nil
}

// loopbackOnly refuses a database that is not on this machine: the run
// fills it and may restart its server.
func loopbackOnly(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("loadtest: database URL: %w", err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("loadtest: the database must be on a loopback address, not %q", host)
}
