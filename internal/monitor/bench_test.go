package monitor_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
)

// benchShipments is how many open shipments BenchmarkSweep loads:
// 1,000,000, or SHIPMENTS.
func benchShipments(tb testing.TB) int {
	n := 1_000_000
	if v := os.Getenv("SHIPMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			tb.Fatalf("SHIPMENTS=%q: want a positive number", v)
		}
	}
	return n
}

// loadOpenShipments inserts n open shipments for one seller in one
// statement, shaped like a busy seller's day relative to now: most parcels
// moving, some waiting for their first scan, and a few percent breaking
// each time-based rule (so the first sweep raises about 10% flags).
//
// It then analyses the table as its owner, which autovacuum does within a
// minute or so of such a load (the server's role may not: as that role,
// VACUUM ANALYZE only warns). TestSweepPlansWithoutStatistics
// (internal/store) covers the sweep's plans before that.
func loadOpenShipments(ctx context.Context, tb testing.TB, db, owner *sqlx.DB, sellerID string, n int, now time.Time) {
	tb.Helper()
	_, err := db.ExecContext(ctx, `
		INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
			ship_by, shipped_at, deliver_by, status, last_event_at, estimated_delivery_at, first_scan_at,
			tracking_valid, tracking_carrier)
		SELECT $1, 'O' || i, 'ups', 'T' || i, 'T' || i,
			ship_by, shipped_at, deliver_by,
			CASE WHEN first_scan IS NULL THEN (CASE WHEN shipped_at IS NULL THEN 'PENDING' ELSE 'LABEL_CREATED' END) ELSE 'IN_TRANSIT' END,
			coalesce(last_event, first_scan), estimate, first_scan, true, 'ups'
		FROM (
			SELECT i, b,
				CASE WHEN b BETWEEN 80 AND 91 THEN $2::timestamptz + interval '1 day'
					ELSE $2::timestamptz + interval '12 hours' - make_interval(hours => i % 40) END AS ship_by,
				CASE WHEN b BETWEEN 80 AND 91 THEN NULL                       -- not shipped yet
					WHEN b BETWEEN 60 AND 61 THEN $2::timestamptz - make_interval(hours => 50 + i % 50) -- never scanned: inactive
					ELSE $2::timestamptz - make_interval(hours => 1 + i % 40) END AS shipped_at,
				CASE WHEN b BETWEEN 60 AND 79 OR b BETWEEN 80 AND 91 THEN NULL
					ELSE $2::timestamptz - make_interval(hours => i % 40) END AS first_scan,
				CASE WHEN b BETWEEN 92 AND 93 THEN $2::timestamptz - make_interval(hours => 24 * 6 + i % 96) -- stalled
					WHEN b BETWEEN 60 AND 91 THEN NULL
					ELSE $2::timestamptz - make_interval(mins => i % 600) END AS last_event,
				CASE WHEN b BETWEEN 94 AND 95 THEN $2::timestamptz - interval '30 hours'  -- late delivery
					ELSE $2::timestamptz + make_interval(days => 2 + i % 5) END AS deliver_by,
				CASE WHEN b BETWEEN 96 AND 97 THEN $2::timestamptz + make_interval(days => 9 + i % 3) -- at risk
					WHEN b BETWEEN 60 AND 91 THEN NULL
					ELSE $2::timestamptz + make_interval(days => 1 + i % 2) END AS estimate
			FROM (SELECT i, i % 100 AS b FROM generate_series(1, $3::int) AS i) g
		) x`, sellerID, now, n)
	if err != nil {
		tb.Fatalf("load shipments: %v", err)
	}
	// Late shipments: 2% not shipped and past their ship-by date.
	if _, err := db.ExecContext(ctx, `UPDATE shipments SET ship_by = $2::timestamptz - interval '3 days'
		WHERE seller_id = $1 AND shipped_at IS NULL AND order_id LIKE '%8'`, sellerID, now); err != nil {
		tb.Fatalf("late shipments: %v", err)
	}
	if _, err := owner.ExecContext(ctx, `VACUUM ANALYZE shipments, sellers`); err != nil {
		tb.Fatalf("analyze: %v", err)
	}
}

// BenchmarkSweep times one sweep of the time-based rules over a million
// open shipments of one seller: the first sweep (raising every flag) and
// the steady one (raising nothing new), against a plain count(*) of the
// same rows measured in the same run. Each steady sweep runs one sweep
// interval (a minute) after the one before, as the periodic job does.
func BenchmarkSweep(b *testing.B) {
	ctx := context.Background()
	url := dbtest.URL(b)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc, st := monitortest.New(b, db)
	seller, err := st.InsertSeller(ctx, "Big seller")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE sellers SET time_zone = 'America/New_York' WHERE id = $1`, seller.ID); err != nil {
		b.Fatal(err)
	}
	su := dbtest.Superuser(b, url)
	now := time.Now()
	start := time.Now()
	n := benchShipments(b)
	loadBefore, err := readServerCounters(ctx, su)
	if err != nil {
		b.Fatal(err)
	}
	loadActivity, stopLoadSampling := sampledActivity(ctx, su)
	loadOpenShipments(ctx, b, db, su, seller.ID, n, now)
	stopLoadSampling()
	loadAfter, err := readServerCounters(ctx, su)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d open shipments in %s", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	var open int
	if err := db.GetContext(ctx, &open, `SELECT count(*) FROM shipments WHERE delivered_at IS NULL AND cancelled_at IS NULL`); err != nil {
		b.Fatal(err)
	}
	baseline := time.Since(start)

	sweepBefore, err := readServerCounters(ctx, su)
	if err != nil {
		b.Fatal(err)
	}
	sweepActivity, stopSweepSampling := sampledActivity(ctx, su)
	start = time.Now()
	raised, _, err := svc.Sweep(ctx, now)
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	stopSweepSampling()
	sweepAfter, err := readServerCounters(ctx, su)
	if err != nil {
		b.Fatal(err)
	}

	at, changed := now, 0
	b.ResetTimer()
	for b.Loop() {
		at = at.Add(time.Minute)
		rai, res, err := svc.Sweep(ctx, at)
		if err != nil {
			b.Fatal(err)
		}
		changed += rai + res
	}
	b.StopTimer()
	if changed != 0 {
		b.Fatalf("steady sweeps raised or resolved %d flags, want none: the load crosses a rule's boundary within %s", changed, at.Sub(now))
	}
	steady := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(first.Seconds(), "first-sweep-s")
	b.ReportMetric(baseline.Seconds(), "count-scan-s")
	fmt.Printf("sweep: %d open shipments; first sweep after loading, raising %d flags at once: %.2fs (target 5s); steady sweep: %.2fs (target 1s); baseline SELECT count(*) of the same rows: %.2fs\n",
		open, raised, first.Seconds(), steady.Seconds(), baseline.Seconds())
	fmt.Printf("sweep: during the load (%s): %s\n", loadAfter.At.Sub(loadBefore.At).Round(time.Millisecond),
		describeConditions(loadBefore, loadAfter, loadActivity))
	fmt.Printf("sweep: during the first sweep (%s): %s\n", first.Round(time.Millisecond),
		describeConditions(sweepBefore, sweepAfter, sweepActivity))
}
