package health_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
)

const benchShipments = 1_000_000

// loadBenchShipments writes n shipments for the seller in one statement,
// through the rollup trigger: all within the last 30 days (the worst case
// for a 30-day report), six carriers, about 2% without a number, 1% with
// an invalid one, 4% never scanned, late shipments and deliveries, 0.2%
// cancelled.
func loadBenchShipments(ctx context.Context, db *sqlx.DB, sellerID string, n int) error {
	_, err := db.ExecContext(ctx, `
		WITH g AS (
			SELECT i, now() - random() * interval '30 days' AS t, random() AS r1, random() AS r2, random() AS r3
			FROM generate_series(1, $2::int) AS i
		), s AS (
			SELECT i, t, r2, r3, date_trunc('hour', t) + interval '1 day' AS ship_by,
				CASE WHEN r1 < 0.02 THEN NULL ELSE least(t + r1 ^ 4 * interval '40 hours', now()) END AS shipped_at
			FROM g
		), d AS (
			SELECT s.*,
				CASE WHEN r2 < 0.92 AND shipped_at IS NOT NULL AND shipped_at + (1 + r2 ^ 3 * 4) * interval '1 day' < now()
					THEN shipped_at + (1 + r2 ^ 3 * 4) * interval '1 day' END AS delivered_at,
				CASE WHEN r3 < 0.96 AND shipped_at IS NOT NULL THEN shipped_at + interval '2 hours' END AS first_scan_at
			FROM s
		)
		INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
			tracking_valid, tracking_carrier, status, created_at, updated_at, ship_by, shipped_at, deliver_by,
			delivered_at, first_scan_at, last_event_at, cancelled_at)
		SELECT $1, 'B-' || i, (ARRAY['ups', 'usps', 'fedex', 'dhl', 'amazon', ''])[1 + i % 6],
			CASE WHEN i % 50 = 0 THEN '' ELSE '1ZB' || i END, CASE WHEN i % 50 = 0 THEN '' ELSE '1ZB' || i END,
			i % 97 <> 0, CASE WHEN i % 50 = 0 THEN '' ELSE 'ups' END,
			CASE WHEN i % 500 = 0 THEN 'CANCELLED' WHEN delivered_at IS NOT NULL THEN 'DELIVERED'
				WHEN first_scan_at IS NOT NULL THEN 'IN_TRANSIT' ELSE 'LABEL_CREATED' END,
			t, t, ship_by, shipped_at, ship_by + interval '3 days', delivered_at, first_scan_at,
			coalesce(delivered_at, first_scan_at), CASE WHEN i % 500 = 0 THEN t END
		FROM d`, sellerID, n)
	return err
}

// median times fn over runs, after one warm-up call.
func median(runs int, fn func() error) (time.Duration, error) {
	if err := fn(); err != nil {
		return 0, err
	}
	ds := make([]time.Duration, runs)
	for i := range ds {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[runs/2], nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// BenchmarkAccountHealth times a 30-day Amazon report for a seller with a
// million shipments, all in the window, against two baselines measured in
// the same run: counting the seller's rows, and the same four metrics
// counted directly over shipments. Then once through GraphQL.
func BenchmarkAccountHealth(b *testing.B) {
	ctx := context.Background()
	url := dbtest.URL(b)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	hs := health.New(st)
	seller, err := st.InsertSeller(ctx, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := loadBenchShipments(ctx, db, seller.ID, benchShipments); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	start = time.Now()
	for {
		n, err := st.CompactHealthCounts(ctx, 5000)
		if err != nil {
			b.Fatal(err)
		}
		if n < 5000 {
			break
		}
	}
	compactTime := time.Since(start)
	for _, table := range []string{"shipments", "health_counts"} {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	var rollupRows int
	if err := db.GetContext(ctx, &rollupRows, `SELECT count(*) FROM health_counts`); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d shipments loaded through the trigger in %s, rollup folded in %s to %d rows", benchShipments, load.Round(time.Millisecond), compactTime.Round(time.Millisecond), rollupRows)

	countRows, err := median(5, func() error {
		var n int
		return db.GetContext(ctx, &n, `SELECT count(*) FROM shipments WHERE seller_id = $1`, seller.ID)
	})
	if err != nil {
		b.Fatal(err)
	}
	direct, err := median(3, func() error {
		var v [7]int
		return db.QueryRowContext(ctx, `
			SELECT count(*) FILTER (WHERE normalized_tracking_number <> '' AND coalesce(shipped_at, created_at) >= now() - interval '30 days'),
				count(*) FILTER (WHERE normalized_tracking_number <> '' AND first_scan_at IS NULL AND coalesce(shipped_at, created_at) >= now() - interval '30 days'),
				count(*) FILTER (WHERE normalized_tracking_number <> '' AND NOT tracking_valid AND coalesce(shipped_at, created_at) >= now() - interval '30 days'),
				count(*) FILTER (WHERE ship_by >= now() - interval '30 days' AND ship_by < now()),
				count(*) FILTER (WHERE ship_by >= now() - interval '30 days' AND ship_by < now() AND (shipped_at IS NULL OR shipped_at > ship_by)),
				count(*) FILTER (WHERE least(delivered_at, deliver_by) >= now() - interval '30 days' AND least(delivered_at, deliver_by) < now()),
				count(*) FILTER (WHERE deliver_by >= now() - interval '30 days' AND deliver_by < now() AND (delivered_at IS NULL OR delivered_at > deliver_by))
			FROM shipments WHERE seller_id = $1 AND status <> 'CANCELLED'`, seller.ID).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6])
	})
	if err != nil {
		b.Fatal(err)
	}

	var r *health.Report
	times := []time.Duration{}
	for b.Loop() {
		start := time.Now()
		if r, err = hs.Report(ctx, seller.ID, health.Amazon, 30, time.Time{}); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	report := times[len(times)/2]
	b.ReportMetric(float64(report.Microseconds())/1000, "ms/report")
	vtr := r.Metric(health.ValidTrackingRate)
	fmt.Printf("accountHealth: %d shipments in %s (target 200 ms); baselines in the same run: count(*) of the seller's shipments %s, the four metrics counted directly over shipments %s\n",
		benchShipments, ms(report), ms(countRows), ms(direct))
	fmt.Printf("accountHealth: VTR %d/%d over %d carriers and %d days\n", vtr.Numerator, vtr.Denominator, len(vtr.ByCarrier), len(vtr.Daily))

	for _, m := range health.Metrics {
		mr := r.Metric(m)
		d, err := median(3, func() error {
			_, err := hs.Shipments(ctx, mr, nil, nil, 50, store.Cursor{})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("accountHealth: %s failing shipments, first page of 50 of %d: %s\n", m, mr.Failing, ms(d))
	}
	for _, days := range []int{90, 365} {
		d, err := median(3, func() error { _, err := hs.Report(ctx, seller.ID, health.EBay, days, time.Time{}); return err })
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("accountHealth: %d days in %s\n", days, ms(d))
	}
	benchGraphQL(b, url, st, seller.ID)
}

// benchGraphQL times accountHealth through the real HTTP server: the full
// report, then with the first 50 failing shipments of every metric.
func benchGraphQL(b *testing.B, url string, st *store.Store, sellerID string) {
	env := apptest.StartOn(b, url)
	_, key, err := st.InsertAPIKey(context.Background(), sellerID)
	if err != nil {
		b.Fatal(err)
	}
	const fields = `numerator denominator rate failing status target { comparison rate windowDays }
		byCarrier { carrier numerator denominator rate } daily { date numerator denominator rate }`
	query := `{ accountHealth { from to validTrackingRate { ` + fields + ` } lateShipmentRate { ` + fields + ` }
		onTimeDeliveryRate { ` + fields + ` } invalidTrackingRate { ` + fields + ` } } }`
	lists := `{ accountHealth { ` + "validTrackingRate { %[1]s } lateShipmentRate { %[1]s } onTimeDeliveryRate { %[1]s } invalidTrackingRate { %[1]s }" + ` } }`
	lists = fmt.Sprintf(lists, fields+` shipments(first: 50) { totalCount edges { node { id orderId status shipBy deliverBy } } }`)
	for _, q := range []struct{ name, query string }{{"report", query}, {"report and the first 50 failing shipments of each metric", lists}} {
		d, err := median(5, func() error { return post(env.URL, key, q.query) })
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("accountHealth through GraphQL (%s): %s\n", q.name, ms(d))
	}
}

func post(url, key, query string) error {
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Errors []any `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		return fmt.Errorf("graphql: %v %v", err, out.Errors)
	}
	return nil
}

// BenchmarkHealthWriteCost measures what the rollup trigger and the
// failing-list indexes of migrations/0007 cost writers, on a database with
// them and one without, in the same run. The machine is shared, so the two
// take turns: 100,000 new shipments upserted in 1,000-row statements (the
// API's batch size) alternate batch by batch; then 100,000-row statements
// (an INSERT, the same rows upserted again, and an UPDATE giving all of
// them a first scan) are timed by PostgreSQL itself (EXPLAIN ANALYZE),
// best of three alternating rounds, with the trigger's own share.
func BenchmarkHealthWriteCost(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	withDB := dbtest.DB(b)
	with := store.New(withDB)
	withoutURL := dbtest.URL(b)
	withoutDB, err := sqlx.Open("postgres", withoutURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { withoutDB.Close() })
	// Only the schema's owner may drop them; the app role writes.
	if _, err := dbtest.Superuser(b, withoutURL).ExecContext(ctx, `
		DROP TRIGGER shipments_health_insert ON shipments;
		DROP TRIGGER shipments_health_update ON shipments;
		DROP TRIGGER shipments_health_delete ON shipments;
		DROP INDEX shipments_health_unscanned_idx, shipments_health_invalid_idx,
			shipments_health_late_ship_idx, shipments_health_late_delivery_idx`); err != nil {
		b.Fatal(err)
	}
	without := store.New(withoutDB)
	both := []*store.Store{with, without}
	dbOf := map[*store.Store]*sqlx.DB{with: withDB, without: withoutDB}
	sellers := func(name string) map[*store.Store]string {
		out := map[*store.Store]string{}
		for _, st := range both {
			s, err := st.InsertSeller(ctx, name)
			if err != nil {
				b.Fatal(err)
			}
			out[st] = s.ID
		}
		return out
	}
	for b.Loop() {
		// API batches, alternating.
		base := time.Now().Add(-20 * 24 * time.Hour)
		ws := make([]store.ShipmentWrite, n)
		for i := range ws {
			at := base.Add(time.Duration(i) * 15 * time.Second)
			shipBy, deliverBy := at.Add(time.Duration(i%48)*time.Hour), at.Add(72*time.Hour)
			number := fmt.Sprintf("1ZW%07d", i)
			ws[i] = store.ShipmentWrite{
				OrderID: fmt.Sprintf("W-%d", i), Carrier: []string{"ups", "usps", "fedex"}[i%3],
				TrackingNumber: number, NormalizedTrackingNumber: number, ShipBy: &shipBy, ShippedAt: &at, DeliverBy: &deliverBy,
				TrackingValid: i%97 != 0, TrackingCarrier: "ups",
			}
		}
		ids := sellers("W")
		spent := map[*store.Store]time.Duration{}
		for i := 0; i < n; i += 1000 {
			for k := range both {
				st := both[(i/1000+k)%2]
				start := time.Now()
				err := st.Transact(ctx, func(tx *sqlx.Tx) error {
					_, err := st.UpsertShipments(ctx, tx, ids[st], ws[i:i+1000])
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				spent[st] += time.Since(start)
			}
		}
		w, wo := spent[with].Seconds(), spent[without].Seconds()
		fmt.Printf("health write cost: upsert %d new shipments in 1000-row statements: %.2f s with the rollup trigger and indexes, %.2f s without (%+.0f%%)\n", n, w, wo, 100*(w/wo-1))

		// 100,000-row statements, timed inside PostgreSQL.
		type timing struct{ total, trigger float64 }
		steps := []struct{ name, sql string }{
			{"INSERT of 100000 new shipments", `INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
				tracking_valid, tracking_carrier, ship_by, shipped_at, deliver_by)
				SELECT $1, 'E-' || i, (ARRAY['ups', 'usps', 'fedex'])[1 + i % 3], '1ZE' || i, '1ZE' || i, i % 97 <> 0, 'ups',
					now() - i * interval '15 seconds' + (i % 48) * interval '1 hour', now() - i * interval '15 seconds',
					now() - i * interval '15 seconds' + interval '3 days'
				FROM generate_series(1, 100000) AS i`},
			{"the same 100000 upserted again (ON CONFLICT DO UPDATE)", `INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
				tracking_valid, tracking_carrier, ship_by, shipped_at, deliver_by)
				SELECT $1, 'E-' || i, (ARRAY['ups', 'usps', 'fedex'])[1 + i % 3], '1ZE' || i, '1ZE' || i, i % 97 <> 0, 'ups',
					now() - i * interval '15 seconds' + (i % 48) * interval '1 hour', now() - i * interval '15 seconds' + interval '1 minute',
					now() - i * interval '15 seconds' + interval '3 days'
				FROM generate_series(1, 100000) AS i
				ON CONFLICT ON CONSTRAINT shipments_identity DO UPDATE SET shipped_at = EXCLUDED.shipped_at, updated_at = now()`},
			{"UPDATE giving the 100000 a first scan", `UPDATE shipments SET first_scan_at = shipped_at + interval '2 hours',
				status = 'IN_TRANSIT', updated_at = now() WHERE seller_id = $1`},
		}
		best := map[*store.Store][]timing{with: make([]timing, len(steps)), without: make([]timing, len(steps))}
		for round := range 3 {
			ids := sellers(fmt.Sprintf("E%d", round))
			for i, step := range steps {
				for k := range both {
					st := both[(round+k)%2]
					trigger, total, err := triggerTime(ctx, dbOf[st], step.sql, ids[st])
					if err != nil {
						b.Fatal(err)
					}
					if best[st][i].total == 0 || total < best[st][i].total {
						best[st][i] = timing{total, trigger}
					}
				}
			}
		}
		for i, step := range steps {
			w, wo := best[with][i], best[without][i]
			fmt.Printf("health write cost: %s in one statement: %.0f ms with the rollup (its trigger %.0f ms), %.0f ms without (%+.0f%%)\n",
				step.name, w.total, w.trigger, wo.total, 100*(w.total/wo.total-1))
		}
	}
}

// triggerTime runs a statement under EXPLAIN ANALYZE and returns the time
// its triggers took and its whole execution time, in milliseconds.
func triggerTime(ctx context.Context, db *sqlx.DB, query string, args ...any) (trigger, total float64, err error) {
	var raw []byte
	if err := db.QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+query, args...).Scan(&raw); err != nil {
		return 0, 0, err
	}
	var plans []struct {
		Triggers []struct {
			Time float64 `json:"Time"`
		} `json:"Triggers"`
		ExecutionTime float64 `json:"Execution Time"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		return 0, 0, fmt.Errorf("explain output: %v", err)
	}
	for _, t := range plans[0].Triggers {
		trigger += t.Time
	}
	return trigger, plans[0].ExecutionTime, nil
}
