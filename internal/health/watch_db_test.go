package health_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestWatchCrossings runs the outlook job's work for one seller on the
// valid-tracking history of TestForecastValidTracking: it raises one
// PROJECTED_MISS account flag per standard and window that crosses, with
// a notification without shipment; a second run changes nothing; a run
// once the parcels are scanned resolves them.
func TestWatchCrossings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	quiet := f.seller(t, "Q", "UTC") // no shipments: nothing to flag
	if _, err := f.db.Exec(`INSERT INTO notification_endpoints (seller_id, url, secret) VALUES ($1, 'https://backoffice.example/hook', '\x00')`, seller); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	t0 := now.Truncate(24 * time.Hour)
	at := func(day, hour int) time.Time { return t0.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	var items []item
	for i := range 38 {
		items = append(items, item{in: shipment.Input{OrderID: "H" + upsNumber(i, true), TrackingNumber: upsNumber(i, true), DeliverBy: ptr(at(-1, 12))},
			events: []event{{at(-3, 10), shipment.StatusInTransit}, {at(-1, 10), shipment.StatusDelivered}}})
	}
	meant := upsNumber(42, true)
	recent := []string{upsNumber(43, true), upsNumber(41, true), upsNumber(40, true)}
	for i := 37; i >= 0; i-- {
		recent = append(recent, upsNumber(i, true))
	}
	items = append(items,
		item{in: shipment.Input{OrderID: "U1", TrackingNumber: upsNumber(40, true), DeliverBy: ptr(at(-1, 12))}},
		item{in: shipment.Input{OrderID: "U2", TrackingNumber: upsNumber(41, true), DeliverBy: ptr(at(-1, 12))}},
		item{in: shipment.Input{OrderID: "I", TrackingNumber: typo(t, meant, recent), DeliverBy: ptr(at(2, 12))}},
		item{in: shipment.Input{OrderID: "N", TrackingNumber: upsNumber(43, true), DeliverBy: ptr(at(2, 12))}})
	ids := f.load(t, seller, items)
	for _, o := range []string{"U1", "U2"} {
		if _, err := f.db.Exec(`UPDATE shipments SET created_at = $3, tracking_received_at = $3 WHERE seller_id = $1 AND id = $2`,
			seller, ids[o], now.Add(-4*24*time.Hour-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	w := health.NewWatch(f.hs, f.svc)

	// Another process holding the job's lock: this run does nothing.
	if _, err := f.st.WithOutlookLock(ctx, func() error {
		run, err := w.Run(ctx, now, time.Minute)
		if err != nil || run.Ran || run.Sellers != 0 {
			t.Errorf("Run() under another's lock = %+v, %v; want nothing run", run, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The job's run: both sellers, once per period. Today both Amazon VTR
	// windows hold H, U1, U2: 38 of 40 scanned, 95%, AT_RISK (at least 95%).
	// At evaluation they also hold I and N: 42 shipments, 38 known, and
	// U1, U2 0.95 × 0.5² = 0.2375 each, I 0, N 0.95: 39.425 → 39 of 42,
	// FAILING: both cross (TestForecastValidTracking works the interval out:
	// [38.372181, 40.477819], 91.4% to 96.4%; 39.425/42 = 93.9%). Walmart's
	// VTR (99%) and Amazon's OTD (U1, U2 late: 38/40 < 97%) fail today
	// already: no crossing. The quiet seller has nothing.
	run, err := w.Run(ctx, now, time.Minute)
	if err != nil || !run.Ran || run.Sellers != 2 || run.Raised != 2 || run.Resolved != 0 || run.More {
		t.Fatalf("Run() = %+v, %v; want 2 sellers, 2 raised", run, err)
	}
	if again, err := w.Run(ctx, now, time.Minute); err != nil || again.Sellers != 0 {
		t.Errorf("Run() again in the same period = %+v, %v; want no seller", again, err)
	}
	open := openAccountFlags(t, f, seller)
	if len(open) != 2 || open[0].Subject != "AMAZON/VALID_TRACKING_RATE/30" || open[1].Subject != "AMAZON/VALID_TRACKING_RATE/7" {
		t.Fatalf("open account flags = %+v, want AMAZON/VALID_TRACKING_RATE/30 and /7", open)
	}
	evaluated := t0.AddDate(0, 0, 3).Format("2006-01-02")
	want7 := "VALID_TRACKING_RATE on AMAZON over 7 days is projected at 93.9% (90% interval 91.4% to 96.4%) when the marketplace evaluates it on " +
		evaluated + ", missing its target (at least 95%); it is 95.0% today. 4 orders can still change it: saveQueue(marketplace: AMAZON, metric: VALID_TRACKING_RATE)."
	f7 := open[1]
	if f7.Kind != flag.ProjectedMiss || f7.Severity != flag.Warning || f7.ShipmentID != "" || f7.Message != want7 {
		t.Errorf("the 7-day flag = %+v, want PROJECTED_MISS WARNING without shipment, message %q", f7, want7)
	}
	if n := len(openAccountFlags(t, f, quiet)); n != 0 {
		t.Errorf("the quiet seller has %d account flags, want 0", n)
	}
	// The back office is told, without a shipment.
	var payloads []string
	if err := f.db.Select(&payloads, `SELECT payload FROM notification_deliveries WHERE seller_id = $1 AND event = $2`, seller, notify.EventFlagRaised); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, p := range payloads {
		var body map[string]any
		if err := json.Unmarshal([]byte(p), &body); err != nil {
			t.Fatal(err)
		}
		fl, _ := body["flag"].(map[string]any)
		if _, ok := body["shipment"]; ok || fl["kind"] != string(flag.ProjectedMiss) {
			t.Errorf("notification %s: want a PROJECTED_MISS flag without shipment", p)
		}
		subjects = append(subjects, fmt.Sprint(fl["subject"]))
	}
	sort.Strings(subjects)
	if len(subjects) != 2 || subjects[0] != "AMAZON/VALID_TRACKING_RATE/30" || subjects[1] != "AMAZON/VALID_TRACKING_RATE/7" {
		t.Errorf("flag.raised notifications are about %v, want the two windows", subjects)
	}
	states, err := f.st.Outlook(ctx, seller, "AMAZON")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		flagged := s.Metric == "VALID_TRACKING_RATE"
		if (s.FlagID != nil) != flagged || (flagged && s.Status != "FAILING") {
			t.Errorf("state %s/%d: status %s flag %v; want a flag only on VTR's, FAILING", s.Metric, s.WindowDays, s.Status, s.FlagID)
		}
	}

	// The seller closes the 30-day flag by hand: the crossing is not
	// flagged again while it lasts, and nothing else changes.
	if _, err := f.svc.ResolveFlag(ctx, seller, open[0].ID, "seen, working on it"); err != nil {
		t.Fatal(err)
	}
	raised, resolved, err := w.Seller(ctx, seller, now)
	if err != nil || len(raised) != 0 || len(resolved) != 0 {
		t.Fatalf("Seller() with nothing changed = %v raised, %v resolved, %v; want none", raised, resolved, err)
	}

	// Acting: U1, U2 and N get their first scan, I its corrected number,
	// just received. Today: 40 of 40, OK; the seller's rate 1. At
	// evaluation: 41 known, I 1.0: 42 of 42, OK: back on target, the open
	// 7-day flag resolves (the 30-day one is already resolved).
	var evs []shipment.Event
	for _, n := range []int{40, 41, 43} {
		evs = append(evs, shipment.Event{TrackingNumber: upsNumber(n, true), OccurredAt: now.Add(-time.Minute), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice})
	}
	if _, err := f.svc.RecordEvents(ctx, seller, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateShipment(ctx, seller, ids["I"], func(in *shipment.Input) { in.TrackingNumber = meant }); err != nil {
		t.Fatal(err)
	}
	raised, resolved, err = w.Seller(ctx, seller, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(raised) != 0 || len(resolved) != 1 || resolved[0].ID != f7.ID || resolved[0].Resolution != flag.Auto {
		t.Errorf("Seller() after acting raised %+v, resolved %+v; want the 7-day flag resolved AUTO", raised, resolved)
	}
	if n := len(openAccountFlags(t, f, seller)); n != 0 {
		t.Errorf("%d account flags still open, want 0", n)
	}
	if states, err = f.st.Outlook(ctx, seller, "AMAZON"); err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.FlagID != nil {
			t.Errorf("state %s/%d still holds flag %s", s.Metric, s.WindowDays, *s.FlagID)
		}
	}
}

// openAccountFlags lists the seller's open PROJECTED_MISS flags by subject.
func openAccountFlags(t *testing.T, f *fixture, sellerID string) []flag.Flag {
	t.Helper()
	open := true
	page, err := f.st.Flags(context.Background(), sellerID, store.FlagFilter{Kinds: []flag.Kind{flag.ProjectedMiss}, Open: &open}, 100, store.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(page.Items, func(i, j int) bool { return page.Items[i].Subject < page.Items[j].Subject })
	return page.Items
}
