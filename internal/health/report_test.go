package health_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// fixture is a database with the use cases over it.
type fixture struct {
	url string // the app role's, as dbtest.URL gives it
	db  *sqlx.DB
	st  *store.Store
	svc *monitor.Service
	hs  *health.Service
}

func newFixture(t testing.TB) *fixture {
	url := dbtest.URL(t)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	svc, _ := monitortest.New(t, db)
	return &fixture{url: url, db: db, st: st, svc: svc, hs: health.New(st)}
}

// seller creates a seller in a time zone (set in SQL: changing it is
// another capability's mutation).
func (f *fixture) seller(t *testing.T, name, zone string) string {
	t.Helper()
	s, err := f.st.InsertSeller(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE sellers SET time_zone = $2 WHERE id = $1`, s.ID, zone); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// item is one shipment of a dataset with its carrier events.
type item struct {
	in     shipment.Input
	events []event
}

type event struct {
	at     time.Time
	status shipment.Status
}

// load creates the items' shipments, then records their events; it
// returns the shipment ids by order id.
func (f *fixture) load(t *testing.T, sellerID string, items []item) map[string]string {
	t.Helper()
	ctx := context.Background()
	ins := make([]shipment.Input, len(items))
	var evs []shipment.Event
	for i, it := range items {
		ins[i] = it.in
		for _, e := range it.events {
			evs = append(evs, shipment.Event{TrackingNumber: it.in.TrackingNumber, OccurredAt: e.at, Status: e.status, Source: shipment.SourceBackOffice})
		}
	}
	res, err := f.svc.CreateShipments(ctx, sellerID, ins)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("CreateShipments() item %d (%s): %v", i, items[i].in.OrderID, r.Err)
		}
		ids[r.Shipment.OrderID] = r.Shipment.ID
	}
	if len(evs) > 0 {
		if _, err := f.svc.RecordEvents(ctx, sellerID, evs); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func ptr(t time.Time) *time.Time { return &t }

// TestReportHandBuilt checks every metric against a direct count over a
// dataset built to hit each edge: no tracking, label only, scanned, a
// number failing its check, shipped and delivered on the dot and a minute
// late, deadlines a minute either side of now, the window's first instant
// and the one before it, 23:30 local on a UTC-negative seller, a stale
// delivery, cancelled shipments, and another seller with the same orders
// and numbers.
func TestReportHandBuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	sellerA := f.seller(t, "A", "America/Los_Angeles")
	sellerB := f.seller(t, "B", "UTC")

	// now is ahead of the clock, so the minutes either side of it are
	// still to come when written; it is not on a quarter hour.
	now := time.Now().UTC().Add(time.Hour).Truncate(15 * time.Minute).Add(9*time.Minute + 17*time.Second)
	const days = 7
	today := now.In(la)
	from := time.Date(today.Year(), today.Month(), today.Day()-(days-1), 0, 0, 0, 0, la)
	day := func(n, hour, minute int) time.Time {
		return time.Date(from.Year(), from.Month(), from.Day()+n, hour, minute, 0, 0, la)
	}
	num := 0
	number := func(valid bool) string { num++; return upsNumber(num, valid) }
	tracked := func(order string, shipped *time.Time, events ...event) item {
		return item{in: shipment.Input{OrderID: order, Carrier: "ups", TrackingNumber: number(true), ShippedAt: shipped}, events: events}
	}
	items := []item{
		// Valid tracking and invalid numbers.
		tracked("scanned", ptr(day(1, 10, 0)), event{day(1, 9, 0), shipment.StatusLabelCreated}, event{day(1, 18, 0), shipment.StatusInTransit}),
		tracked("label-only", ptr(day(1, 11, 0)), event{day(1, 10, 0), shipment.StatusLabelCreated}),
		tracked("no-events", ptr(day(2, 9, 0))),
		{in: shipment.Input{OrderID: "invalid", Carrier: "ups", TrackingNumber: number(false), ShippedAt: ptr(day(2, 10, 0))}},
		{in: shipment.Input{OrderID: "no-tracking", Carrier: "usps", ShipBy: ptr(day(2, 17, 0)), ShippedAt: ptr(day(2, 16, 0))}},
		tracked("not-shipped-yet", nil),
		tracked("late-evening", ptr(day(2, 23, 30))),
		tracked("after-midnight", ptr(day(3, 0, 30)), event{day(3, 6, 0), shipment.StatusInTransit}),
		tracked("window-start", ptr(from)),
		tracked("before-window", ptr(from.Add(-time.Minute))),
		tracked("tail", ptr(now.Add(-30*time.Second))),
		tracked("future", ptr(now.Add(30*time.Second))),
		tracked("cancelled", ptr(day(1, 12, 0))),
		{in: shipment.Input{OrderID: "detected-carrier", TrackingNumber: number(true), ShippedAt: ptr(day(4, 8, 0))},
			events: []event{{day(4, 9, 0), shipment.StatusInTransit}}},
		// Late shipment.
		{in: shipment.Input{OrderID: "ship-on-the-dot", Carrier: "fedex", ShipBy: ptr(day(2, 17, 0)), ShippedAt: ptr(day(2, 17, 0))}},
		{in: shipment.Input{OrderID: "ship-minute-late", Carrier: "fedex", ShipBy: ptr(day(2, 17, 0)), ShippedAt: ptr(day(2, 17, 1))}},
		{in: shipment.Input{OrderID: "never-shipped", Carrier: "fedex", ShipBy: ptr(day(3, 17, 0))}},
		{in: shipment.Input{OrderID: "due-soon", ShipBy: ptr(now.Add(time.Minute))}},
		{in: shipment.Input{OrderID: "just-due", ShipBy: ptr(now.Add(-time.Minute))}},
		{in: shipment.Input{OrderID: "just-shipped", ShipBy: ptr(now.Add(-time.Minute)), ShippedAt: ptr(now.Add(-2 * time.Minute))}},
		{in: shipment.Input{OrderID: "due-before-window", ShipBy: ptr(from.Add(-time.Hour))}},
		{in: shipment.Input{OrderID: "shipped-early", Carrier: "usps", ShipBy: ptr(day(1, 12, 0)), ShippedAt: ptr(day(1, 8, 0))}},
		{in: shipment.Input{OrderID: "due-late-evening", Carrier: "usps", ShipBy: ptr(day(4, 23, 30))}},
	}
	delivery := func(order string, deliverBy time.Time, events ...event) item {
		return item{in: shipment.Input{OrderID: order, Carrier: "ups", TrackingNumber: number(true), ShippedAt: ptr(from.Add(-time.Hour)), DeliverBy: &deliverBy}, events: events}
	}
	items = append(items,
		delivery("delivered-on-the-dot", day(4, 20, 0), event{day(4, 20, 0), shipment.StatusDelivered}),
		delivery("delivered-minute-late", day(4, 20, 0), event{day(4, 20, 1), shipment.StatusDelivered}),
		delivery("not-delivered", day(3, 20, 0), event{day(3, 8, 0), shipment.StatusInTransit}),
		delivery("delivered-early", now.Add(48*time.Hour), event{day(5, 10, 0), shipment.StatusDelivered}),
		delivery("in-flight", now.Add(48*time.Hour), event{day(5, 10, 0), shipment.StatusInTransit}),
		delivery("just-missed", now.Add(-time.Minute)),
		delivery("promise-soon", now.Add(time.Minute)),
		delivery("late-before-window", from.Add(-2*time.Hour), event{day(0, 10, 0), shipment.StatusDelivered}),
		// A DELIVERED dated before later scans is history: not delivered.
		delivery("stale-delivered", day(3, 20, 0), event{day(2, 12, 0), shipment.StatusDelivered}, event{day(3, 9, 0), shipment.StatusOutForDelivery}),
	)
	ids := f.load(t, sellerA, items)
	if _, err := f.svc.CancelShipment(ctx, sellerA, ids["cancelled"], shipment.CancelledBySeller); err != nil {
		t.Fatal(err)
	}
	// Seller B has the same orders and numbers, and scans A's unscanned
	// numbers: none of it may count for A.
	itemsB := slices.Clone(items)
	for i := range itemsB {
		itemsB[i].events = []event{{day(2, 12, 0), shipment.StatusInTransit}}
		if itemsB[i].in.TrackingNumber == "" {
			itemsB[i].events = nil
		}
	}
	f.load(t, sellerB, itemsB)

	r, err := f.hs.Report(ctx, sellerA, health.Amazon, days, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.From.Equal(from) || !r.To.Equal(now) || r.TimeZone != "America/Los_Angeles" || len(r.Metric(health.ValidTrackingRate).Daily) != days {
		t.Fatalf("Report() window = %v to %v in %s, want %v to %v in America/Los_Angeles, %d days", r.From, r.To, r.TimeZone, from, now, days)
	}
	checkReport(t, f.st, f.hs, r, sellerA, la)

	// The edges, named: the direct count could share a misreading.
	failing := func(m health.Metric, date *string) []string {
		var orders []string
		for _, id := range listAll(t, f.hs, r.Metric(m), date, nil) {
			for order, oid := range ids {
				if oid == id {
					orders = append(orders, order)
				}
			}
		}
		slices.Sort(orders)
		return orders
	}
	wantFailing := map[health.Metric][]string{
		health.ValidTrackingRate:   {"invalid", "label-only", "late-evening", "no-events", "not-shipped-yet", "tail", "window-start"},
		health.InvalidTrackingRate: {"invalid"},
		health.LateShipmentRate:    {"due-late-evening", "just-due", "never-shipped", "ship-minute-late"},
		health.OnTimeDeliveryRate:  {"delivered-minute-late", "just-missed", "not-delivered", "stale-delivered"},
	}
	for m, want := range wantFailing {
		if got := failing(m, nil); !slices.Equal(got, want) {
			t.Errorf("%s failing = %v, want %v", m, got, want)
		}
	}
	// 23:30 in Los Angeles is the next day in UTC: it belongs to its local day.
	day2 := day(2, 0, 0).Format("2006-01-02")
	if got := failing(health.ValidTrackingRate, &day2); !slices.Equal(got, []string{"invalid", "late-evening", "no-events"}) {
		t.Errorf("unscanned on %s = %v, want the 23:30 shipment with its local day", day2, got)
	}
	if otd := r.Metric(health.OnTimeDeliveryRate); otd.Numerator != 2 || otd.Denominator != 6 {
		t.Errorf("on-time delivery = %d/%d, want 2/6 (on the dot and early)", otd.Numerator, otd.Denominator)
	}

	rb, err := f.hs.Report(ctx, sellerB, health.Amazon, days, now)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, f.st, f.hs, rb, sellerB, time.UTC)

	// Changes through every write path, then the same checks.
	if _, err := f.svc.RecordEvents(ctx, sellerA, []shipment.Event{
		{TrackingNumber: items[2].in.TrackingNumber, OccurredAt: day(3, 1, 0), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice},
		{TrackingNumber: items[len(items)-5].in.TrackingNumber, OccurredAt: now.Add(-3 * time.Minute), Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateShipment(ctx, sellerA, ids["never-shipped"], func(in *shipment.Input) { in.ShippedAt = ptr(day(4, 9, 0)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateShipment(ctx, sellerA, ids["scanned"], func(in *shipment.Input) { in.Carrier = "fedex" }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateShipment(ctx, sellerA, ids["invalid"], func(in *shipment.Input) { in.TrackingNumber = number(true) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CancelShipment(ctx, sellerA, ids["not-delivered"], shipment.CancelledBySeller); err != nil {
		t.Fatal(err)
	}
	for _, m := range []health.Marketplace{health.Amazon, health.Walmart, health.EBay} {
		for _, d := range []int{1, days, 30} {
			r, err := f.hs.Report(ctx, sellerA, m, d, now)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, f.st, f.hs, r, sellerA, la)
		}
	}

	// Folding the rollup changes no number.
	compact(t, f.st)
	for _, seller := range []string{sellerA, sellerB} {
		r, err := f.hs.Report(ctx, seller, health.Walmart, days, now)
		if err != nil {
			t.Fatal(err)
		}
		loc := la
		if seller == sellerB {
			loc = time.UTC
		}
		checkReport(t, f.st, f.hs, r, seller, loc)
	}

	// On the database's clock, as the API runs it.
	r, err = f.hs.Report(ctx, sellerA, health.Amazon, days, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.To.After(time.Now().Add(time.Minute)) || r.To.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("Report(now zero).To = %v, want the database's clock", r.To)
	}
	checkReport(t, f.st, f.hs, r, sellerA, la)
}

// compact folds the whole rollup.
func compact(t *testing.T, st *store.Store) {
	t.Helper()
	for {
		n, err := st.CompactHealthCounts(context.Background(), 3)
		if err != nil {
			t.Fatalf("CompactHealthCounts() error = %v", err)
		}
		if n < 3 {
			return
		}
	}
}
