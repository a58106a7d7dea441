package health_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

type rollupSums struct {
	Rows, Tracked, Unscanned, Invalid, Due, ShippedLate, Promised, DeliveredLate int
}

func (f *fixture) sums(t *testing.T) rollupSums {
	t.Helper()
	var s rollupSums
	err := f.db.QueryRow(`SELECT count(*), coalesce(sum(tracked), 0), coalesce(sum(unscanned), 0), coalesce(sum(invalid), 0),
		coalesce(sum(due), 0), coalesce(sum(shipped_late), 0), coalesce(sum(promised), 0), coalesce(sum(delivered_late), 0)
		FROM health_counts`).Scan(&s.Rows, &s.Tracked, &s.Unscanned, &s.Invalid, &s.Due, &s.ShippedLate, &s.Promised, &s.DeliveredLate)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCompaction checks that folding keeps every sum, leaves one settled
// row per past quarter hour and carrier, keeps instants still to come
// exact, and has nothing left to do the second time.
func TestCompaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	now := time.Now()
	var items []item
	for i := range 40 {
		at := now.Add(time.Duration(i-30) * 7 * time.Minute) // from 3.5 hours ago to 1 hour ahead
		items = append(items, item{
			in:     shipment.Input{OrderID: "O-" + upsNumber(i, true), Carrier: []string{"ups", "usps"}[i%2], TrackingNumber: upsNumber(i, i%5 != 0), ShippedAt: &at, ShipBy: &at, DeliverBy: ptr(at.Add(time.Hour))},
			events: []event{{at.Add(time.Minute), shipment.StatusInTransit}},
		})
	}
	// Every write a separate statement, so the rollup has many deltas.
	for _, it := range items {
		f.load(t, seller, []item{it})
	}
	before := f.sums(t)
	compact(t, f.st)
	after := f.sums(t)
	if after.Rows >= before.Rows {
		t.Errorf("compaction left %d rows of %d", after.Rows, before.Rows)
	}
	before.Rows, after.Rows = 0, 0
	if after != before {
		t.Errorf("sums after compaction = %+v, want %+v", after, before)
	}
	var bad int
	err := f.db.QueryRow(`
		WITH c AS (SELECT date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00') AS cut)
		SELECT count(*) FROM (
			SELECT seller_id, carrier, at FROM health_counts, c
			WHERE (settled AND (at >= c.cut OR at <> date_bin('15 minutes', at, timestamptz '1970-01-01 00:00:00+00')))
				OR (NOT settled AND at < c.cut)
			UNION ALL
			SELECT seller_id, carrier, at FROM health_counts GROUP BY 1, 2, 3 HAVING count(*) > 1
		) wrong`).Scan(&bad)
	if err != nil || bad != 0 {
		t.Errorf("rows out of shape after compaction: %d (%v)", bad, err)
	}
	if n, err := f.st.CompactHealthCounts(ctx, 100); n != 0 || err != nil {
		t.Errorf("CompactHealthCounts() again = %d, %v; want nothing to do", n, err)
	}
}

// TestSellerDeletion checks that deleting a seller removes its rollup and
// that the trigger does not trip over the cascade.
func TestSellerDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	keep := f.seller(t, "keep", "UTC")
	gone := f.seller(t, "gone", "UTC")
	for _, s := range []string{keep, gone} {
		f.load(t, s, []item{{in: shipment.Input{OrderID: "O-1", TrackingNumber: upsNumber(1, true), ShipBy: ptr(time.Now())}}})
	}
	if _, err := f.db.Exec(`DELETE FROM sellers WHERE id = $1`, gone); err != nil {
		t.Fatalf("delete seller: %v", err)
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM health_counts WHERE seller_id = $1`, gone).Scan(&n); err != nil || n != 0 {
		t.Errorf("deleted seller's rollup rows = %d (%v), want 0", n, err)
	}
	if s := f.sums(t); s.Tracked != 1 || s.Due != 1 {
		t.Errorf("rollup = %+v, want the remaining seller's shipment only", s)
	}
}

// TestTimeZoneOffsetsAreQuarterHours checks the rollup's premise: every
// zone the database knows is a whole number of quarter hours from UTC, so
// a past quarter hour lies within one local day.
func TestTimeZoneOffsetsAreQuarterHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var odd []string
	if err := f.db.Select(&odd, `SELECT name FROM pg_timezone_names WHERE extract(epoch FROM utc_offset)::int % 900 <> 0`); err != nil {
		t.Fatal(err)
	}
	if len(odd) > 0 {
		t.Errorf("zones off the quarter hour: %v", odd)
	}
}

func TestReportErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	for _, tt := range []struct {
		m     health.Marketplace
		days  int
		field string
	}{
		{health.Amazon, 0, "days"}, {health.Amazon, health.MaxDays + 1, "days"}, {"ETSY", 30, "marketplace"},
	} {
		var fe *shipment.FieldError
		if _, err := f.hs.Report(ctx, seller, tt.m, tt.days, time.Time{}); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Report(%s, %d) error = %v, want a FieldError on %s", tt.m, tt.days, err, tt.field)
		}
	}
	if _, err := f.hs.Report(ctx, "00000000-0000-0000-0000-000000000000", health.Amazon, 30, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Report(unknown seller) error = %v, want ErrNotFound", err)
	}
	r, err := f.hs.Report(ctx, seller, health.Amazon, 3, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, date := range []string{"yesterday", "1999-01-01"} {
		var fe *shipment.FieldError
		if _, err := f.hs.Shipments(ctx, r.Metric(health.LateShipmentRate), &date, nil, 10, store.Cursor{}); !errors.As(err, &fe) || fe.Field != "date" {
			t.Errorf("Shipments(date %q) error = %v, want a FieldError on date", date, err)
		}
	}
}

// TestCompactionDuringWrites folds the rollup over and over while two
// writers create, update and scan one seller's shipments at the same
// time: no deadlock, no error, and the counts still match the direct count.
func TestCompactionDuringWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "Asia/Kolkata")
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stop := make(chan struct{})
	compacted := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				compacted <- nil
				return
			default:
			}
			if _, err := f.st.CompactHealthCounts(ctx, 7); err != nil {
				compacted <- err
				return
			}
		}
	}()
	writer := func(w int) error {
		for batch := range 8 {
			var ins []shipment.Input
			var evs []shipment.Event
			for i := range 20 {
				k := 10000*w + 100*batch + i
				at := now.Add(time.Duration(k%(60*24*3)-60*24*2) * time.Minute)
				number := upsNumber(k, k%9 != 0)
				ins = append(ins, shipment.Input{OrderID: number, Carrier: []string{"ups", "", "usps"}[k%3], TrackingNumber: number,
					ShippedAt: ptr(at), ShipBy: ptr(at.Add(time.Duration(k%5-2) * time.Hour)), DeliverBy: ptr(at.Add(48 * time.Hour))})
				if k%4 != 0 {
					evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: at.Add(time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice})
				}
				if k%3 == 0 {
					evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: at.Add(40 * time.Hour), Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice})
				}
			}
			res, err := f.svc.CreateShipments(ctx, seller, ins)
			if err != nil {
				return err
			}
			if _, err := f.svc.RecordEvents(ctx, seller, evs); err != nil {
				return err
			}
			if _, err := f.svc.CancelShipment(ctx, seller, res[batch].Shipment.ID, shipment.CancelledBySeller); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make(chan error, 2)
	for w := range 2 {
		go func() { errs <- writer(w + 1) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	close(stop)
	if err := <-compacted; err != nil {
		t.Errorf("compaction: %v", err)
	}
	for _, days := range []int{1, 3} {
		r, err := f.hs.Report(ctx, seller, health.Amazon, days, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, f.st, f.hs, r, seller, kolkata)
	}
}

// TestTruncate checks that emptying shipments empties the rollup.
func TestTruncate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	f.load(t, seller, []item{{in: shipment.Input{OrderID: "O-1", TrackingNumber: upsNumber(1, true)}}})
	// Tables referencing shipments go too. Only the superuser may
	// truncate, and evidence tables refuse it even to the superuser until
	// their TRUNCATE triggers are switched off (in this transaction only).
	tx, err := dbtest.Superuser(t, f.url).Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`ALTER TABLE tracking_events DISABLE TRIGGER tracking_events_no_truncate;
		ALTER TABLE proof_of_delivery DISABLE TRIGGER proof_of_delivery_no_truncate;
		ALTER TABLE proof_images DISABLE TRIGGER proof_images_no_truncate;
		ALTER TABLE evidence_chains DISABLE TRIGGER evidence_chains_no_truncate`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`TRUNCATE shipments CASCADE;
		ALTER TABLE tracking_events ENABLE TRIGGER tracking_events_no_truncate;
		ALTER TABLE proof_of_delivery ENABLE TRIGGER proof_of_delivery_no_truncate;
		ALTER TABLE proof_images ENABLE TRIGGER proof_images_no_truncate;
		ALTER TABLE evidence_chains ENABLE TRIGGER evidence_chains_no_truncate`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if s := f.sums(t); s.Rows != 0 {
		t.Errorf("rollup after TRUNCATE shipments = %+v, want empty", s)
	}
}

// TestMigrationBackfill applies migration 0007 to a database that already
// holds shipments: the rollup it builds must match the direct count.
func TestMigrationBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "Europe/Paris")
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var items []item
	for i := range 30 {
		at := now.Add(time.Duration(i-20) * 5 * time.Hour)
		items = append(items, item{
			in:     shipment.Input{OrderID: "O-" + upsNumber(i, true), TrackingNumber: upsNumber(i, i%4 != 0), ShippedAt: ptr(at), ShipBy: ptr(at.Add(time.Duration(i%3-1) * time.Hour)), DeliverBy: ptr(at.Add(30 * time.Hour))},
			events: []event{{at.Add(time.Hour), []shipment.Status{shipment.StatusLabelCreated, shipment.StatusInTransit, shipment.StatusDelivered}[i%3]}},
		})
	}
	f.load(t, seller, items)
	owner := sqlx.MustOpen("postgres", dbtest.OwnerURL(f.url)) // what migrations run as
	defer owner.Close()
	if _, err := owner.Exec(`
		DROP TABLE health_counts;
		DROP FUNCTION health_counts_apply, health_counts_truncate CASCADE;
		DROP FUNCTION health_count_sql, health_slot;
		DROP INDEX shipments_health_unscanned_idx, shipments_health_invalid_idx,
			shipments_health_late_ship_idx, shipments_health_late_delivery_idx;
		DELETE FROM schema_migrations WHERE version = 7`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, owner.DB); err != nil {
		t.Fatalf("Migrate() error = %v", err)
	}
	if err := store.GrantApp(ctx, owner.DB, store.AppRole); err != nil {
		t.Fatalf("GrantApp() error = %v", err)
	}
	r, err := f.hs.Report(ctx, seller, health.Walmart, 7, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Metric(health.ValidTrackingRate).Denominator == 0 {
		t.Fatalf("the backfilled rollup counts nothing")
	}
	checkReport(t, f.st, f.hs, r, seller, paris)
}
