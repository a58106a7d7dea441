package health_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
)

// loadOutlookShipments writes n shipments for the seller in one statement:
// the last tenth open (received in the last 2 days, due in the next 2,
// half shipped, half of those scanned, 1% with an invalid number), the
// rest settled over the 120 days before (shipped, 96% scanned, delivered
// 1 to 5 days later).
func loadOutlookShipments(ctx context.Context, db *sqlx.DB, sellerID string, n int) error {
	_, err := db.ExecContext(ctx, `
		WITH g AS (
			SELECT i, i > $2::int * 9 / 10 AS open, random() AS r1, random() AS r2, random() AS r3 FROM generate_series(1, $2::int) AS i
		), t AS (
			SELECT g.*, CASE WHEN open THEN now() - r1 * interval '2 days' ELSE now() - (3 + r1 * 117) * interval '1 day' END AS t FROM g
		), s AS (
			SELECT t.*, t.t + interval '2 days' AS ship_by, t.t + interval '5 days' AS deliver_by,
				CASE WHEN NOT open OR r2 < 0.5 THEN t.t + r2 * interval '20 hours' END AS shipped_at FROM t
		), d AS (
			SELECT s.*,
				CASE WHEN shipped_at IS NOT NULL AND (NOT open AND r3 < 0.96 OR open AND r3 < 0.5) THEN shipped_at + interval '2 hours' END AS first_scan_at,
				CASE WHEN NOT open THEN shipped_at + (1 + r3 * 4) * interval '1 day' END AS delivered_at FROM s
		)
		INSERT INTO shipments (seller_id, order_id, carrier, service, tracking_number, normalized_tracking_number,
			tracking_valid, tracking_carrier, status, created_at, updated_at, ship_by, shipped_at, deliver_by,
			delivered_at, first_scan_at, last_event_at, destination_postal_code, destination_country)
		SELECT $1, 'F-' || i, 'ups', 'ground', '1ZF' || i, '1ZF' || i, i % 100 <> 0, 'ups',
			CASE WHEN delivered_at IS NOT NULL THEN 'DELIVERED' WHEN first_scan_at IS NOT NULL THEN 'IN_TRANSIT' ELSE 'LABEL_CREATED' END,
			d.t, d.t, ship_by, shipped_at, deliver_by, delivered_at, first_scan_at, coalesce(delivered_at, first_scan_at),
			lpad((i % 1000)::text, 3, '0') || '01', 'US'
		FROM d`, sellerID, n)
	return err
}

// BenchmarkHealthForecast times the Amazon forecast and the first page of
// the VTR save queue for a seller with SHIPMENTS (1,000,000) shipments,
// a tenth of them open, against the direct computation in the same run:
// the same forecast and queue read as before (every shipment of the
// seller counted, every column of the open ones read through sqlx:
// health.NewDirect). It fails unless both give the same projections and
// the same page, and a second request (answered from what the first
// kept) the same projections as the direct computation at its instant.
// The timed requests follow each other with nothing written, so they are
// answered from what the first kept; the first request after a write of
// the seller (one shipment, then 1,000) is timed apart, and so is a
// request with nothing kept.
func BenchmarkHealthForecast(b *testing.B) {
	ctx := context.Background()
	db, hs, seller, n := benchSeller(b, loadOutlookShipments)
	direct := health.NewDirect(store.New(db))
	now := time.Now()
	fast, _, diff := forecastsBothWays(ctx, b, hs, direct, seller.ID, health.Amazon, now)
	if diff != "" {
		b.Fatalf("forecast differs from the direct computation (-direct +fast):\n%s", diff)
	}
	fastPage, err := hs.SaveQueue(ctx, seller.ID, health.Amazon, health.ValidTrackingRate, 0, 20, now)
	if err != nil {
		b.Fatal(err)
	}
	slowPage, err := direct.SaveQueue(ctx, seller.ID, health.Amazon, health.ValidTrackingRate, 0, 20, now)
	if err != nil {
		b.Fatal(err)
	}
	if diff := cmp.Diff(slowPage, fastPage); diff != "" {
		b.Fatalf("save queue differs from the direct computation (-direct +fast):\n%s", diff)
	}
	// A second request, with nothing written, answers from what the first
	// kept: it too must be the direct computation's at its instant.
	later := time.Now()
	if _, _, diff := forecastsBothWays(ctx, b, hs, direct, seller.ID, health.Amazon, later); diff != "" {
		b.Fatalf("kept forecast differs from the direct computation (-direct +fast):\n%s", diff)
	}
	// The machine is shared: the two ways take turns, call by call, so a
	// change of load hits both; each figure is the median of 5 after a
	// warm-up.
	forecasts := func(s *health.Service) error {
		_, err := s.Forecast(ctx, seller.ID, health.Amazon, time.Time{})
		return err
	}
	queues := func(s *health.Service) error {
		_, err := s.SaveQueue(ctx, seller.ID, health.Amazon, health.ValidTrackingRate, 0, 20, time.Time{})
		return err
	}
	forecast, directForecast, err := alternate(5, func() error { return forecasts(hs) }, func() error { return forecasts(direct) })
	if err != nil {
		b.Fatal(err)
	}
	queue, directQueue, err := alternate(5, func() error { return queues(hs) }, func() error { return queues(direct) })
	if err != nil {
		b.Fatal(err)
	}
	// The first request after a write merges the shipments written into
	// what the last request kept: a write of one shipment of the seller
	// (as a carrier event writes), then a request, timed alone; and the
	// same after a write of 1,000 of its latest shipments (open ones, as
	// an import batch writes).
	write := func(n int) func() error {
		return func() error {
			_, err := db.ExecContext(ctx, `UPDATE shipments SET updated_at = updated_at
				WHERE id IN (SELECT id FROM shipments WHERE seller_id = $1 ORDER BY created_at DESC LIMIT $2)`, seller.ID, n)
			return err
		}
	}
	forecastWritten, queueWritten, err := alternateAfter(5, write(1), func() error { return forecasts(hs) }, func() error { return queues(hs) })
	if err != nil {
		b.Fatal(err)
	}
	forecastBatch, queueBatch, err := alternateAfter(5, write(1000), func() error { return forecasts(hs) }, func() error { return queues(hs) })
	if err != nil {
		b.Fatal(err)
	}
	// A request with nothing kept reads everything afresh: a seller's first
	// in a process (or once it has left the sellers kept), and the first
	// after a deletion, a dispute or a change of settings. A new Service
	// for each call, taking turns.
	afresh := func(fn func(*health.Service) error) func() error {
		return func() error { return fn(health.New(store.New(db))) }
	}
	forecastAfresh, queueAfresh, err := alternate(5, afresh(forecasts), afresh(queues))
	if err != nil {
		b.Fatal(err)
	}
	kept, err := keptHeap(func(s *health.Service) error {
		if err := forecasts(s); err != nil {
			return err
		}
		return queues(s)
	}, func() *health.Service { return health.New(store.New(db)) })
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("health forecast: %d shipments, %d open in VTR's 7 days, %d in its save queue; AMAZON forecast %s (direct computation in the same run %s); VTR save queue, first 20: %s (direct %s); goal 500 ms; medians of 5 taking turns; the first request after a write of the seller: forecast %s, queue %s; after a write of 1,000 of its shipments: forecast %s, queue %s; with nothing kept (read afresh): forecast %s, queue %s; the reads kept for this seller: %.1f MB of heap\n",
		n, fast.Projections[0].Open, fastPage.Total, ms(forecast), ms(directForecast), ms(queue), ms(directQueue), ms(forecastWritten), ms(queueWritten), ms(forecastBatch), ms(queueBatch), ms(forecastAfresh), ms(queueAfresh), float64(kept)/(1<<20))
	b.ResetTimer()
	for b.Loop() {
		if _, err := hs.Forecast(ctx, seller.ID, health.Amazon, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// keptHeap returns how much live heap a new Service holds after fill
// (a forecast and a queue page of one seller): what it keeps of their
// reads, measured after a collection before and after.
func keptHeap(fill func(*health.Service) error, newService func() *health.Service) (int64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newService()
	if err := fill(s); err != nil {
		return 0, err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc), nil
}

// alternate times a and b in turns, runs times each after a warm-up
// call of each, and returns their medians.
func alternate(runs int, a, b func() error) (time.Duration, time.Duration, error) {
	return alternateAfter(runs, nil, a, b)
}

// alternateAfter is alternate with prep (when not nil) run, untimed,
// before each call.
func alternateAfter(runs int, prep, a, b func() error) (time.Duration, time.Duration, error) {
	call := func(fn func() error) (time.Duration, error) {
		if prep != nil {
			if err := prep(); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		err := fn()
		return time.Since(start), err
	}
	if _, err := call(a); err != nil {
		return 0, 0, err
	}
	if _, err := call(b); err != nil {
		return 0, 0, err
	}
	da, db := make([]time.Duration, runs), make([]time.Duration, runs)
	for i := range runs {
		var err error
		if da[i], err = call(a); err != nil {
			return 0, 0, err
		}
		if db[i], err = call(b); err != nil {
			return 0, 0, err
		}
	}
	slices.Sort(da)
	slices.Sort(db)
	return da[runs/2], db[runs/2], nil
}

// projectionFigures is what a projection states, for comparing two
// forecasts.
type projectionFigures struct {
	Metric                   health.Metric
	WindowDays               int
	From, EvaluatedAt        time.Time
	Denominator, Known, Open int
	Expected, Low, High      float64
	Current                  health.Value
	Status                   health.Status
	Crossing                 bool
}

// forecastsBothWays returns fast's forecast at at and the direct
// computation's (slow), and how their projections differ ("" when they
// do not).
func forecastsBothWays(ctx context.Context, tb testing.TB, fast, slow *health.Service, seller string, m health.Marketplace, at time.Time) (f, s *health.Outlook, diff string) {
	tb.Helper()
	f, err := fast.Forecast(ctx, seller, m, at)
	if err != nil {
		tb.Fatal(err)
	}
	if s, err = slow.Forecast(ctx, seller, m, at); err != nil {
		tb.Fatal(err)
	}
	return f, s, cmp.Diff(projections(s), projections(f), cmpopts.EquateApprox(0, 1e-9))
}

func projections(o *health.Outlook) []projectionFigures {
	out := make([]projectionFigures, len(o.Projections))
	for i, p := range o.Projections {
		out[i] = projectionFigures{p.Metric, p.WindowDays, p.From, p.EvaluatedAt, p.Denominator, p.Known, p.Open,
			p.Expected, p.Low, p.High, p.Current.Value, p.Status, p.Crossing}
	}
	return out
}
