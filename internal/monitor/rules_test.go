package monitor_test

import (
	"context"
	"fmt"
	"github.com/jmoiron/sqlx"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ruleEnv drives the rules through the real use cases and database:
// shipments and carrier events are written as sellers write them, then the
// time-based rules are swept at a chosen instant and the non-time rules
// checked as the write-caused job does. Every use case reads "now" from
// the env's clock, never the wall clock, so no result depends on the day
// the test runs.
type ruleEnv struct {
	db    *sqlx.DB
	t     *testing.T
	ctx   context.Context
	svc   *monitor.Service
	st    *store.Store
	n     int
	clock time.Time
}

// ruleEnvStart is the instant a ruleEnv's clock starts at.
var ruleEnvStart = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func newRuleEnv(t *testing.T) *ruleEnv {
	t.Helper()
	e := &ruleEnv{t: t, ctx: context.Background(), clock: ruleEnvStart}
	e.db = dbtest.DB(t)
	e.svc, e.st = monitortest.New(t, e.db, monitor.WithClock(func() time.Time { return e.clock }))
	return e
}

// seller creates a seller in the zone with the given thresholds (0 keeps
// the default).
func (e *ruleEnv) seller(zone string, hours, days int) string {
	e.t.Helper()
	s, err := e.st.InsertSeller(e.ctx, "Seller "+zone)
	if err != nil {
		e.t.Fatal(err)
	}
	ch := monitor.SettingsChange{TimeZone: &zone}
	if hours > 0 {
		ch.InactiveTrackingHours = &hours
	}
	if days > 0 {
		ch.StalledDays = &days
	}
	if _, err := e.svc.UpdateSellerSettings(e.ctx, s.ID, ch); err != nil {
		e.t.Fatal(err)
	}
	return s.ID
}

// ship creates a shipment; an empty tracking number gets a unique one,
// and "-" means none.
func (e *ruleEnv) ship(seller string, in shipment.Input) store.Shipment {
	e.t.Helper()
	e.n++
	if in.OrderID == "" {
		in.OrderID = fmt.Sprintf("O-%d", e.n)
	}
	switch in.TrackingNumber {
	case "":
		in.TrackingNumber = fmt.Sprintf("TEST%06d", e.n)
	case "-":
		in.TrackingNumber = ""
	}
	res, err := e.svc.CreateShipments(e.ctx, seller, []shipment.Input{in})
	if err != nil || res[0].Err != nil {
		e.t.Fatalf("CreateShipments() = %+v, %v", res, err)
	}
	return *res[0].Shipment
}

func (e *ruleEnv) event(seller string, sh store.Shipment, at time.Time, status shipment.Status, estimate *time.Time) {
	e.t.Helper()
	_, err := e.svc.RecordEvents(e.ctx, seller, []shipment.Event{{TrackingNumber: sh.TrackingNumber, OccurredAt: at,
		Status: status, EstimatedDeliveryAt: estimate, Source: shipment.SourceBackOffice}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// sweep sets the clock to at and sweeps then.
func (e *ruleEnv) sweep(at time.Time) {
	e.t.Helper()
	e.clock = at
	if _, _, err := e.svc.Sweep(e.ctx, at); err != nil {
		e.t.Fatal(err)
	}
}

func (e *ruleEnv) check(seller string) {
	e.t.Helper()
	if err := e.svc.Check(e.ctx, seller, nil); err != nil {
		e.t.Fatal(err)
	}
}

// open returns the kinds of the shipment's open flags, sorted.
func (e *ruleEnv) open(seller string, sh store.Shipment) []flag.Kind {
	e.t.Helper()
	yes := true
	page, err := e.st.Flags(e.ctx, seller, store.FlagFilter{ShipmentID: sh.ID, Open: &yes}, 100, store.Cursor{})
	if err != nil {
		e.t.Fatal(err)
	}
	kinds := []flag.Kind{}
	for _, f := range page.Items {
		kinds = append(kinds, f.Kind)
	}
	slices.Sort(kinds)
	return kinds
}

func (e *ruleEnv) wantOpen(seller string, sh store.Shipment, what string, want ...flag.Kind) {
	e.t.Helper()
	if want == nil {
		want = []flag.Kind{}
	}
	if got := e.open(seller, sh); !slices.Equal(got, want) {
		e.t.Errorf("%s: open flags = %v, want %v", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestInactiveTrackingBoundaries(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	now := e.clock
	seller := e.seller("UTC", 0, 0)
	shipped := func(h time.Duration) store.Shipment {
		return e.ship(seller, shipment.Input{Carrier: "ups", ShippedAt: ptr(now.Add(-h))})
	}
	at47 := shipped(47 * time.Hour)
	at48 := shipped(48 * time.Hour)
	at49 := shipped(49 * time.Hour)
	labelOnly := shipped(49 * time.Hour)
	e.event(seller, labelOnly, now.Add(-48*time.Hour), shipment.StatusLabelCreated, nil)
	scanned := shipped(49 * time.Hour)
	e.event(seller, scanned, now.Add(-40*time.Hour), shipment.StatusInTransit, nil)
	noNumber := e.ship(seller, shipment.Input{TrackingNumber: "-", ShippedAt: ptr(now.Add(-49 * time.Hour))})
	cancelled := shipped(49 * time.Hour)
	if _, err := e.svc.CancelShipment(e.ctx, seller, cancelled.ID, shipment.CancelledBySeller); err != nil {
		t.Fatal(err)
	}
	e.sweep(now)

	e.wantOpen(seller, at47, "shipped 47 h ago")
	e.wantOpen(seller, at48, "shipped exactly 48 h ago", flag.InactiveTracking)
	e.wantOpen(seller, at49, "shipped 49 h ago", flag.InactiveTracking)
	e.wantOpen(seller, labelOnly, "a label is not a scan", flag.InactiveTracking)
	e.wantOpen(seller, scanned, "scanned")
	e.wantOpen(seller, cancelled, "cancelled")
	e.wantOpen(seller, noNumber, "no tracking number to scan")

	// The first scan clears it (AUTO), through the write-caused check.
	e.event(seller, at49, now.Add(-time.Hour), shipment.StatusInTransit, nil)
	if err := e.svc.Check(e.ctx, seller, []string{at49.ID}); err != nil {
		t.Fatal(err)
	}
	e.wantOpen(seller, at49, "after the first scan")
	page, err := e.st.Flags(e.ctx, seller, store.FlagFilter{ShipmentID: at49.ID}, 10, store.Cursor{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Resolution != flag.Auto || page.Items[0].ResolvedAt == nil {
		t.Errorf("flags of the scanned shipment = %+v, %v; want one resolved AUTO (history kept)", page.Items, err)
	}

	// A seller with a 72 h threshold is not flagged at 49 h; the setting
	// change resolves nothing it should not.
	patient := e.seller("UTC", 72, 0)
	p49 := e.ship(patient, shipment.Input{ShippedAt: ptr(now.Add(-49 * time.Hour))})
	p73 := e.ship(patient, shipment.Input{ShippedAt: ptr(now.Add(-73 * time.Hour))})
	e.sweep(now)
	e.wantOpen(patient, p49, "49 h with a 72 h threshold")
	e.wantOpen(patient, p73, "73 h with a 72 h threshold", flag.InactiveTracking)
}

func TestStalledBoundaries(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	now := e.clock
	seller := e.seller("UTC", 0, 0)
	moving := func(quiet time.Duration, status shipment.Status) store.Shipment {
		sh := e.ship(seller, shipment.Input{ShippedAt: ptr(now.Add(-10 * 24 * time.Hour))})
		e.event(seller, sh, now.Add(-quiet), status, nil)
		return sh
	}
	fresh := moving(5*24*time.Hour-time.Hour, shipment.StatusInTransit)
	stale := moving(5*24*time.Hour+time.Hour, shipment.StatusInTransit)
	delivered := moving(9*24*time.Hour, shipment.StatusDelivered)
	returned := moving(9*24*time.Hour, shipment.StatusReturnedToSender)
	e.sweep(now)
	e.wantOpen(seller, fresh, "quiet for 4 days 23 h")
	e.wantOpen(seller, stale, "quiet for 5 days 1 h", flag.Stalled)
	e.wantOpen(seller, delivered, "delivered long ago")
	e.wantOpen(seller, returned, "returned to sender")

	// A new event clears it.
	e.event(seller, stale, now.Add(-time.Hour), shipment.StatusOutForDelivery, nil)
	e.sweep(now)
	e.wantOpen(seller, stale, "after a new event")
}

// TestLateShipmentTimeZones checks that the ship-by date is a day in the
// seller's zone: the same instants are late for a seller in UTC and on
// time for one in New York (UTC-5 in November).
func TestLateShipmentTimeZones(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	shipBy := time.Date(2026, 11, 19, 12, 0, 0, 0, ny) // Nov 19, 17:00 UTC
	for _, tc := range []struct {
		zone string
		// at is the instant swept; late is whether an unshipped order is late then.
		at   time.Time
		late bool
	}{
		{"America/New_York", time.Date(2026, 11, 19, 23, 59, 0, 0, ny), false}, // the day before ends
		{"America/New_York", time.Date(2026, 11, 20, 0, 1, 0, 0, ny), true},    // the day after starts
		{"UTC", time.Date(2026, 11, 20, 0, 1, 0, 0, time.UTC), true},
		{"America/New_York", time.Date(2026, 11, 20, 0, 1, 0, 0, time.UTC), false}, // 19:01 in New York
	} {
		seller := e.seller(tc.zone, 0, 0)
		unshipped := e.ship(seller, shipment.Input{ShipBy: &shipBy})
		// Shipped at 23:00 New York time on the ship-by day: after the
		// ship-by instant, but on the ship-by day in New York.
		lateEvening := e.ship(seller, shipment.Input{ShipBy: &shipBy, ShippedAt: ptr(time.Date(2026, 11, 19, 23, 0, 0, 0, ny))})
		nextDay := e.ship(seller, shipment.Input{ShipBy: &shipBy, ShippedAt: ptr(time.Date(2026, 11, 20, 0, 30, 0, 0, ny))})
		e.sweep(tc.at)
		what := fmt.Sprintf("%s at %s", tc.zone, tc.at.UTC().Format(time.RFC3339))
		if tc.late {
			e.wantOpen(seller, unshipped, what+": not shipped", flag.LateShipment)
		} else {
			e.wantOpen(seller, unshipped, what+": not shipped")
		}
		if tc.zone == "UTC" {
			e.wantOpen(seller, lateEvening, what+": shipped Nov 20 04:00 UTC", flag.LateShipment)
		} else {
			e.wantOpen(seller, lateEvening, what+": shipped Nov 19 23:00 local")
		}
		e.wantOpen(seller, nextDay, what+": shipped the day after", flag.LateShipment)
	}

	// A carrier scan counts as shipping when the seller sent no shippedAt.
	seller := e.seller("America/New_York", 0, 0)
	scanned := e.ship(seller, shipment.Input{ShipBy: &shipBy})
	e.event(seller, scanned, time.Date(2026, 11, 19, 20, 0, 0, 0, ny), shipment.StatusInTransit, nil)
	e.sweep(time.Date(2026, 11, 21, 12, 0, 0, 0, ny))
	e.wantOpen(seller, scanned, "scanned on the ship-by day")
}

func TestDeliveryDeadlines(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	seller := e.seller("America/New_York", 0, 0)
	deliverBy := time.Date(2026, 11, 21, 12, 0, 0, 0, ny)
	dayBefore := time.Date(2026, 11, 20, 12, 0, 0, 0, ny)
	lastMinute := time.Date(2026, 11, 21, 23, 59, 0, 0, ny)
	dayAfter := time.Date(2026, 11, 22, 0, 1, 0, 0, ny)
	shipped := time.Date(2026, 11, 18, 9, 0, 0, 0, ny)
	in := shipment.Input{DeliverBy: &deliverBy, ShippedAt: &shipped}

	onTime := e.ship(seller, in)
	e.event(seller, onTime, time.Date(2026, 11, 21, 23, 30, 0, 0, ny), shipment.StatusDelivered, nil)
	late := e.ship(seller, in)
	e.event(seller, late, time.Date(2026, 11, 22, 0, 30, 0, 0, ny), shipment.StatusDelivered, nil)
	waiting := e.ship(seller, in)
	e.event(seller, waiting, shipped.Add(2*time.Hour), shipment.StatusInTransit, ptr(time.Date(2026, 11, 21, 22, 0, 0, 0, ny)))
	atRisk := e.ship(seller, in)
	e.event(seller, atRisk, shipped.Add(2*time.Hour), shipment.StatusInTransit, ptr(time.Date(2026, 11, 22, 9, 0, 0, 0, ny)))

	e.sweep(dayBefore)
	e.wantOpen(seller, onTime, "delivered 23:30 on the day")
	e.wantOpen(seller, late, "delivered 00:30 the day after", flag.LateDelivery)
	e.wantOpen(seller, waiting, "the day before, estimate on the day")
	e.wantOpen(seller, atRisk, "the day before, estimate the day after", flag.DeliveryAtRisk)

	e.sweep(lastMinute)
	e.wantOpen(seller, waiting, "23:59 on the day")
	e.wantOpen(seller, atRisk, "23:59 on the day", flag.DeliveryAtRisk)

	// Once the day is over, LATE_DELIVERY replaces DELIVERY_AT_RISK.
	e.sweep(dayAfter)
	e.wantOpen(seller, waiting, "the day after, not delivered", flag.LateDelivery)
	e.wantOpen(seller, atRisk, "the day after, not delivered", flag.LateDelivery)
	page, err := e.st.Flags(e.ctx, seller, store.FlagFilter{ShipmentID: atRisk.ID, Kinds: []flag.Kind{flag.DeliveryAtRisk}}, 10, store.Cursor{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Resolution != flag.Auto {
		t.Errorf("DELIVERY_AT_RISK history = %+v, %v; want one resolved AUTO", page.Items, err)
	}

	// Moving deliverBy later clears LATE_DELIVERY at the next sweep.
	later := time.Date(2026, 11, 25, 12, 0, 0, 0, ny)
	if _, err := e.svc.UpdateShipment(e.ctx, seller, waiting.ID, func(in *shipment.Input) { in.DeliverBy = &later }); err != nil {
		t.Fatal(err)
	}
	e.sweep(dayAfter)
	e.wantOpen(seller, waiting, "deliverBy moved to Nov 25")
}

func TestWriteRules(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	seller := e.seller("UTC", 0, 0)
	at := e.clock

	badDigit := e.ship(seller, shipment.Input{TrackingNumber: "1Z999AA10123456785"})
	goodUPS := e.ship(seller, shipment.Input{Carrier: "ups", TrackingNumber: "1ZCXZR8J0130053085"})
	mismatch := e.ship(seller, shipment.Input{Carrier: "fedex", TrackingNumber: "1Z3EXVMP1234638788"})
	dupA := e.ship(seller, shipment.Input{OrderID: "A", TrackingNumber: "1ZHKMYNY0357763454"})
	dupB := e.ship(seller, shipment.Input{OrderID: "B", TrackingNumber: "1ZHKMYNY0357763454"})
	exception := e.ship(seller, shipment.Input{TrackingNumber: "1ZJRKRRB0271932319"})
	e.event(seller, exception, at, shipment.StatusException, nil)
	e.check(seller)

	e.wantOpen(seller, badDigit, "bad check digit", flag.InvalidTracking)
	e.wantOpen(seller, goodUPS, "valid UPS number")
	e.wantOpen(seller, mismatch, "UPS number declared FedEx", flag.CarrierMismatch)
	e.wantOpen(seller, dupA, "number also on B", flag.DuplicateTracking)
	e.wantOpen(seller, dupB, "number also on A", flag.DuplicateTracking)
	e.wantOpen(seller, exception, "exception", flag.DeliveryException)

	// A scan proves the number real; a later event clears the exception;
	// cancelling B clears A's duplicate.
	e.event(seller, badDigit, at, shipment.StatusInTransit, nil)
	e.event(seller, exception, at.Add(time.Hour), shipment.StatusInTransit, nil)
	if _, err := e.svc.CancelShipment(e.ctx, seller, dupB.ID, shipment.CancelledBySeller); err != nil {
		t.Fatal(err)
	}
	e.check(seller)
	e.wantOpen(seller, badDigit, "scanned")
	e.wantOpen(seller, exception, "moving again")
	e.wantOpen(seller, dupA, "B cancelled")
	e.wantOpen(seller, dupB, "cancelled")
}

// TestManualResolution checks that a flag resolved by hand is not raised
// again while its condition holds, and is raised anew when the condition
// comes back after it stopped.
func TestManualResolution(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	seller := e.seller("UTC", 0, 0)
	now := e.clock
	sh := e.ship(seller, shipment.Input{TrackingNumber: "1ZJRKRRB0271932319"})
	e.event(seller, sh, now, shipment.StatusException, nil)
	e.check(seller)
	page, err := e.st.Flags(e.ctx, seller, store.FlagFilter{ShipmentID: sh.ID}, 10, store.Cursor{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("Flags() = %+v, %v; want one", page.Items, err)
	}
	f, err := e.svc.ResolveFlag(e.ctx, seller, page.Items[0].ID, "called the carrier")
	if err != nil || f.Resolution != flag.Manual || f.ResolutionNote != "called the carrier" {
		t.Fatalf("ResolveFlag() = %+v, %v", f, err)
	}
	again, err := e.svc.ResolveFlag(e.ctx, seller, f.ID, "twice")
	if err != nil || again.ResolutionNote != "called the carrier" {
		t.Errorf("ResolveFlag() again = %+v, %v; want it unchanged", again, err)
	}
	e.check(seller)
	e.wantOpen(seller, sh, "resolved by hand, still an exception")

	e.event(seller, sh, now.Add(time.Hour), shipment.StatusInTransit, nil)
	e.check(seller)
	e.event(seller, sh, now.Add(2*time.Hour), shipment.StatusDeliveryAttempted, nil)
	e.check(seller)
	e.wantOpen(seller, sh, "a new problem after it cleared", flag.DeliveryException)

	other := e.seller("UTC", 0, 0)
	if _, err := e.svc.ResolveFlag(e.ctx, other, f.ID, "not mine"); err == nil {
		t.Errorf("ResolveFlag() by another seller succeeded")
	}
}

func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	seller := e.seller("UTC", 0, 0)
	for _, ch := range []monitor.SettingsChange{
		{TimeZone: ptr("Mars/Olympus")},
		{InactiveTrackingHours: ptr(0)},
		{InactiveTrackingHours: ptr(721)},
		{StalledDays: ptr(91)},
		{DeliveryRiskThreshold: ptr(0.0)},
		{DeliveryRiskThreshold: ptr(1.0)},
		{Origin: &shipment.Place{PostalCode: "10001", Country: "USA"}},
		{Origin: &shipment.Place{PostalCode: strings.Repeat("1", 21)}},
	} {
		if _, err := e.svc.UpdateSellerSettings(e.ctx, seller, ch); err == nil {
			t.Errorf("UpdateSellerSettings(%+v) error = nil, want a field error", ch)
		}
	}
	got, err := e.svc.UpdateSellerSettings(e.ctx, seller, monitor.SettingsChange{TimeZone: ptr("Europe/Paris"), StalledDays: ptr(3),
		Origin: &shipment.Place{PostalCode: " 75001 ", Country: "fr"}, DeliveryRiskThreshold: ptr(0.7)})
	if err != nil || got != (store.SellerSettings{TimeZone: "Europe/Paris", InactiveTrackingHours: 48, StalledDays: 3,
		OriginPostalCode: "75001", OriginCountry: "FR", DeliveryRiskThreshold: 0.7}) {
		t.Errorf("UpdateSellerSettings() = %+v, %v", got, err)
	}
}
