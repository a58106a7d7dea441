package health_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestForecastKeptExact checks the reads a Service keeps between requests
// (the open shipments and the counts' pass, docs/forecast.md "Speed"):
// a request with nothing of the seller written since uses them, and
// still answers as the direct computation does at its own instant,
// parcels promised or to ship between the two instants included; a
// request after any write (a new shipment, a promise moved to another
// day, a deletion, a change of time zone, a dispute, a carrier event)
// reads afresh.
func TestForecastKeptExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	direct := health.NewDirect(f.st)
	seller := f.seller(t, "K", "America/New_York")
	t0 := time.Now().UTC().Truncate(time.Second)
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	var items []item
	// 20 promised yesterday, scanned and delivered.
	for i := range 20 {
		items = append(items, item{in: shipment.Input{OrderID: "S" + upsNumber(i, true), TrackingNumber: upsNumber(i, true),
			ShipBy: ptr(day(-3)), DeliverBy: ptr(day(-1))},
			events: []event{{day(-3).Add(-time.Hour), shipment.StatusInTransit}, {day(-2), shipment.StatusDelivered}}})
	}
	// N1-N3: promised 2 minutes after t0, scanned, not delivered: keyed
	// (valid tracking, on-time delivery) into today's windows between t0
	// and t0+5m, and due (the on-time delivery denominator) then.
	for i := 20; i < 23; i++ {
		items = append(items, item{in: shipment.Input{OrderID: "N" + upsNumber(i, true), TrackingNumber: upsNumber(i, true),
			ShipBy: ptr(day(-2)), DeliverBy: ptr(min(2))},
			events: []event{{day(-2).Add(-time.Hour), shipment.StatusInTransit}}})
	}
	// L1, L2: to ship 3 minutes after t0, not shipped, no number.
	for i := 23; i < 25; i++ {
		items = append(items, item{in: shipment.Input{OrderID: "L" + upsNumber(i, true), ShipBy: ptr(min(3)), DeliverBy: ptr(day(2))}})
	}
	// E: promised a minute after t0, delivered ten minutes before it.
	items = append(items, item{in: shipment.Input{OrderID: "E" + upsNumber(25, true), TrackingNumber: upsNumber(25, true),
		ShipBy: ptr(day(-1)), DeliverBy: ptr(min(1))},
		events: []event{{day(-1).Add(-time.Hour), shipment.StatusInTransit}, {min(-10), shipment.StatusDelivered}}})
	// O: open, due in two days, half scanned.
	for i := 26; i < 36; i++ {
		it := item{in: shipment.Input{OrderID: "O" + upsNumber(i, true), TrackingNumber: upsNumber(i, true),
			ShippedAt: ptr(min(-60)), ShipBy: ptr(day(1)), DeliverBy: ptr(day(2))}}
		if i%2 == 0 {
			it.events = []event{{min(-30), shipment.StatusInTransit}}
		}
		items = append(items, it)
	}
	ids := f.load(t, seller, items)

	markets := []health.Marketplace{health.Amazon, health.Walmart, health.EBay}
	// check compares every marketplace's forecast and the first page of
	// each of its queues at now with the direct computation, and returns
	// the Amazon forecast.
	check := func(step string, now time.Time) []projectionFigures {
		t.Helper()
		var amazon []projectionFigures
		for _, m := range markets {
			fast, slow, diff := forecastsBothWays(ctx, t, f.hs, direct, seller, m, now)
			if diff != "" {
				t.Fatalf("%s: %s forecast at %s (-direct +kept):\n%s", step, m, now, diff)
			}
			if m == health.Amazon {
				amazon = projections(fast)
			}
			for _, p := range slow.Projections {
				want, err := direct.SaveQueue(ctx, seller, m, p.Metric, 0, 20, now)
				if err != nil {
					t.Fatal(err)
				}
				got, err := f.hs.SaveQueue(ctx, seller, m, p.Metric, 0, 20, now)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s: %s %s queue at %s (-direct +kept):\n%s", step, m, p.Metric, now, diff)
				}
			}
		}
		return amazon
	}
	// keptAt fails unless every kept read was made at want.
	keptAt := func(step string, want time.Time) {
		t.Helper()
		open, counts := f.hs.KeptAt(seller)
		if !open.Equal(want) || len(counts) == 0 {
			t.Fatalf("%s: open shipments kept from %s (want %s), %d counts", step, open, want, len(counts))
		}
		for _, c := range counts {
			if !c.Equal(want) {
				t.Fatalf("%s: counts kept from %s, want %s", step, c, want)
			}
		}
	}

	first := check("first request", t0)
	keptAt("first request", t0)
	// Five minutes later, nothing written: N1-N3, L1, L2 and E are now
	// before the windows' end, counted from the kept pass and the rows
	// near t0 read again.
	later := check("nothing written", min(5))
	keptAt("nothing written", t0)
	if cmp.Equal(first, later, cmpopts.EquateApprox(0, 1e-9)) {
		t.Fatal("the forecast did not move between t0 and t0+5m: the test does not test the rows near t0")
	}
	// Before the kept instant: read afresh.
	check("earlier", min(-1))
	keptAt("earlier", min(-1))
	check("again", min(5))
	keptAt("again", min(-1))

	// Each write is followed by a request at its own instant and another
	// 5 seconds later with nothing written. A shipment inserted or updated
	// is merged into the kept reads (kept from the same instant as
	// before); a deletion, a change of settings or a dispute makes the
	// request read afresh (kept from its instant).
	writes := []struct {
		name  string
		fresh bool
		write func() error
	}{
		{"a new shipment", false, func() error {
			_, err := f.svc.CreateShipments(ctx, seller, []shipment.Input{{OrderID: "X1", TrackingNumber: upsNumber(40, true),
				ShipBy: ptr(day(-2)), DeliverBy: ptr(day(-1))}})
			return err
		}},
		{"a promise moved to three days ago", false, func() error {
			_, err := f.svc.UpdateShipment(ctx, seller, ids["S"+upsNumber(3, true)], func(in *shipment.Input) {
				in.ShipBy, in.DeliverBy = ptr(day(-5)), ptr(day(-3))
			})
			return err
		}},
		{"a first scan", false, func() error {
			_, err := f.svc.RecordEvents(ctx, seller, []shipment.Event{{TrackingNumber: upsNumber(27, true), OccurredAt: min(-20),
				Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice}})
			return err
		}},
		{"an open parcel delivered", false, func() error {
			_, err := f.svc.RecordEvents(ctx, seller, []shipment.Event{{TrackingNumber: upsNumber(28, true), OccurredAt: min(-5),
				Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}})
			return err
		}},
		// Shipped 20 days ago, delivered now: the lane's histograms (which
		// the open parcels' forecasts read) learn a delivery slower than
		// any before.
		{"a slow parcel delivered", false, func() error {
			if _, err := f.svc.CreateShipments(ctx, seller, []shipment.Input{{OrderID: "X2", TrackingNumber: upsNumber(41, true),
				ShippedAt: ptr(day(-20)), ShipBy: ptr(day(-20)), DeliverBy: ptr(day(-15))}}); err != nil {
				return err
			}
			_, err := f.svc.RecordEvents(ctx, seller, []shipment.Event{{TrackingNumber: upsNumber(41, true), OccurredAt: min(-2),
				Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}})
			return err
		}},
		{"a deletion", true, func() error {
			_, err := f.db.Exec(`DELETE FROM shipments WHERE seller_id = $1 AND id = $2`, seller, ids["S"+upsNumber(4, true)])
			return err
		}},
		{"an open parcel deleted", true, func() error {
			_, err := f.db.Exec(`DELETE FROM shipments WHERE seller_id = $1 AND id = $2`, seller, ids["O"+upsNumber(30, true)])
			return err
		}},
		{"a change of time zone", true, func() error {
			_, err := f.db.Exec(`UPDATE sellers SET time_zone = 'Asia/Kolkata' WHERE id = $1`, seller)
			return err
		}},
		{"a dispute", true, func() error {
			_, err := f.svc.OpenDispute(ctx, seller, ids["S"+upsNumber(5, true)], shipment.DisputeInput{Kind: shipment.DisputeNotReceived})
			return err
		}},
		{"a carrier event", false, func() error {
			_, err := f.svc.RecordEvents(ctx, seller, []shipment.Event{{TrackingNumber: upsNumber(29, true), OccurredAt: min(-20),
				Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice}})
			return err
		}},
	}
	keptFrom := min(-1)
	for i, w := range writes {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		at := t0.Add(time.Duration(6*60+i*10) * time.Second)
		if w.fresh {
			keptFrom = at
		}
		check(w.name, at)
		keptAt(w.name, keptFrom)
		check(w.name+", then nothing", at.Add(5*time.Second))
		keptAt(w.name+", then nothing", keptFrom)
	}
	// Past the kept span (10 minutes from the last write's request):
	// counted afresh; the open shipments are kept.
	last := t0.Add(time.Duration(6*60+(len(writes)-1)*10) * time.Second)
	past := last.Add(10*time.Minute + time.Second)
	check("past the span", past)
	open, counts := f.hs.KeptAt(seller)
	for _, c := range counts {
		if !c.Equal(past) {
			t.Fatalf("past the span: counts kept from %s, want %s", c, past)
		}
	}
	if !open.Equal(keptFrom) {
		t.Fatalf("past the span: open shipments kept from %s, want %s", open, keptFrom)
	}
}
