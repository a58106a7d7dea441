package health_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// typo swaps two neighbouring characters of a valid UPS number so that it
// fails the check and the check's first suggestion, ranked by the seller's
// numbers, is the number meant.
func typo(t *testing.T, valid string, seller []string) string {
	t.Helper()
	numbers := tracking.NewNumbers(seller)
	b := []byte(valid)
	for i := len(b) - 2; i > 2; i-- {
		if b[i] == b[i+1] {
			continue
		}
		c := append([]byte(nil), b...)
		c[i], c[i+1] = c[i+1], c[i]
		r := tracking.Check(string(c), "ups")
		if sug := r.SuggestionsFrom(numbers); !r.Valid && len(sug) > 0 && sug[0] == valid {
			return string(c)
		}
	}
	t.Fatalf("no failing transposition of %s", valid)
	return ""
}

func near(a, b float64) bool { return math.Abs(a-b) < 2e-6 }

// TestForecastValidTracking projects Amazon's Valid Tracking Rate over a
// hand-built history in UTC, and checks that acting on the save queue's
// items takes them off it. The numbers are worked out in the comments
// (docs/forecast.md, "Projected account health", states the rules).
func TestForecastValidTracking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	other := f.seller(t, "B", "UTC") // the same history: must not count for A

	now := time.Now().UTC().Truncate(time.Microsecond)
	t0 := now.Truncate(24 * time.Hour)
	at := func(day, hour int) time.Time { return t0.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	var items []item
	// H: 38 numbers promised yesterday, scanned and delivered: settled.
	for i := range 38 {
		items = append(items, item{in: shipment.Input{OrderID: "H" + upsNumber(i, true), TrackingNumber: upsNumber(i, true), DeliverBy: ptr(at(-1, 12))},
			events: []event{{at(-3, 10), shipment.StatusInTransit}, {at(-1, 10), shipment.StatusDelivered}}})
	}
	// U1, U2: promised yesterday, never scanned; their numbers reached
	// Shipwatch 4 days ago (set below).
	items = append(items,
		item{in: shipment.Input{OrderID: "U1", TrackingNumber: upsNumber(40, true), DeliverBy: ptr(at(-1, 12))}},
		item{in: shipment.Input{OrderID: "U2", TrackingNumber: upsNumber(41, true), DeliverBy: ptr(at(-1, 12))}})
	// I: a mistyped number, promised in 2 days; N: a valid one, just sent.
	meant := upsNumber(42, true)
	var recent []string
	for _, n := range []int{43, 41, 40} {
		recent = append(recent, upsNumber(n, true))
	}
	for i := 37; i >= 0; i-- {
		recent = append(recent, upsNumber(i, true))
	}
	items = append(items,
		item{in: shipment.Input{OrderID: "I", TrackingNumber: typo(t, meant, recent), DeliverBy: ptr(at(2, 12))}},
		item{in: shipment.Input{OrderID: "N", TrackingNumber: upsNumber(43, true), DeliverBy: ptr(at(2, 12))}})
	ids := f.load(t, seller, items)
	f.load(t, other, items)
	for _, o := range []string{"U1", "U2"} {
		if _, err := f.db.Exec(`UPDATE shipments SET created_at = $3, tracking_received_at = $3 WHERE seller_id = $1 AND id = $2`,
			seller, ids[o], now.Add(-4*24*time.Hour-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	out, err := f.hs.Forecast(ctx, seller, health.Amazon, now)
	if err != nil {
		t.Fatal(err)
	}
	// Today, both windows hold H and U (I and N are promised later): 38 of
	// 40 scanned, 95%: AT_RISK. The seller's rate (longest window) is 0.95.
	// At evaluation (7 days: end of today+3; 30 days: end of today+7) both
	// windows also hold I and N: denominator 42, known 38, 4 open:
	//   U1, U2: 4 days since the number, 2 past the grace: 0.95 × 0.5² = 0.2375
	//   I: fails the check: 0;  N: 0.95
	//   expected = 38 + 2×0.2375 + 0.95 = 39.425 → 39/42 = 92.9%: FAILING
	//   variance = 2×0.2375×0.7625 + 0.95×0.05 = 0.4096875, sd 0.6400684
	//   low = 39.425 − 1.6448536×0.6400684 = 39.425 − 1.0528188 = 38.372181,
	//   high = 39.425 + 1.0528188 = 40.477819 (within 38 and 42)
	for _, days := range []int{7, 30} {
		p := projection(t, out, health.ValidTrackingRate, days)
		wantEval := endOfDayUTC(t0.AddDate(0, 0, health.Horizon(days)))
		if !p.EvaluatedAt.Equal(wantEval) || p.Horizon() != health.Horizon(days) {
			t.Errorf("VTR %d: evaluated at %v, want %v", days, p.EvaluatedAt, wantEval)
		}
		if p.Denominator != 42 || p.Known != 38 || p.Open != 4 {
			t.Errorf("VTR %d: denominator %d known %d open %d, want 42 38 4", days, p.Denominator, p.Known, p.Open)
		}
		if !near(p.Expected, 39.425) || !near(p.Low, 38.372181) || !near(p.High, 40.477819) {
			t.Errorf("VTR %d: expected %v [%v, %v], want 39.425 [38.372181, 40.477819]", days, p.Expected, p.Low, p.High)
		}
		if !near(*p.Rate(), 39.425/42) {
			t.Errorf("VTR %d: rate %v, want %v", days, *p.Rate(), 39.425/42)
		}
		if p.Current.Status != health.AtRisk || p.Status != health.Failing || !p.Crossing {
			t.Errorf("VTR %d: status today %s, projected %s, crossing %v; want AT_RISK, FAILING, true", days, p.Current.Status, p.Status, p.Crossing)
		}
	}

	// The queue: I first (certain to fail: effect 1/42), then U1 and U2
	// (0.7625/42, by id), then N (0.05/42).
	q := queue(t, f, seller, now)
	want := []struct {
		order  string
		action health.Action
		effect float64
	}{{"I", health.ReplaceTrackingNumber, 1.0 / 42}, {"U1", health.GetFirstScan, 0.7625 / 42}, {"U2", health.GetFirstScan, 0.7625 / 42}, {"N", health.GetFirstScan, 0.05 / 42}}
	if ids["U1"] > ids["U2"] {
		want[1], want[2] = want[2], want[1]
	}
	if len(q) != len(want) {
		t.Fatalf("queue has %d items, want %d: %+v", len(q), len(want), q)
	}
	for i, w := range want {
		if q[i].Shipment.ID != ids[w.order] || q[i].Action != w.action || !near(q[i].Effect, w.effect) {
			t.Errorf("queue[%d] = %s %s %v, want %s %s %v", i, q[i].Shipment.OrderID, q[i].Action, q[i].Effect, w.order, w.action, w.effect)
		}
	}
	if q[0].SuggestedNumber != meant {
		t.Errorf("queue[0] suggests %q, want the number meant, %q", q[0].SuggestedNumber, meant)
	}
	if d := q[3].Deadline; d == nil || !d.Equal(at(2, 12)) {
		t.Errorf("N's deadline = %v, want its promised date %v", d, at(2, 12))
	}

	// Acting: N gets its first scan, I's number is corrected.
	if _, err := f.svc.RecordEvents(ctx, seller, []shipment.Event{{TrackingNumber: upsNumber(43, true), OccurredAt: now.Add(-time.Minute), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateShipment(ctx, seller, ids["I"], func(in *shipment.Input) { in.TrackingNumber = meant }); err != nil {
		t.Fatal(err)
	}
	q = queue(t, f, seller, now)
	for _, it := range q {
		if it.Shipment.ID == ids["N"] {
			t.Errorf("N is still queued after its scan: %+v", it)
		}
		if it.Action == health.ReplaceTrackingNumber {
			t.Errorf("%s still asks to replace its number after the correction", it.Shipment.OrderID)
		}
	}
	// I's corrected number now waits for its scan like U1 and U2.
	if len(q) != 3 || q[len(q)-1].Shipment.ID != ids["I"] || q[len(q)-1].Action != health.GetFirstScan {
		t.Errorf("queue after acting = %+v, want U1, U2, then I waiting for its first scan", q)
	}
}

func endOfDayUTC(d time.Time) time.Time { return d.AddDate(0, 0, 1).Add(-time.Microsecond) }

func projection(t *testing.T, o *health.Outlook, m health.Metric, days int) *health.Projection {
	t.Helper()
	for i := range o.Projections {
		if p := &o.Projections[i]; p.Metric == m && p.WindowDays == days {
			return p
		}
	}
	t.Fatalf("no projection of %s over %d days", m, days)
	return nil
}

func queue(t *testing.T, f *fixture, seller string, now time.Time) []health.SaveItem {
	t.Helper()
	ctx := context.Background()
	out, err := f.hs.Forecast(ctx, seller, health.Amazon, now)
	if err != nil {
		t.Fatal(err)
	}
	q, err := out.Queue(health.ValidTrackingRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.hs.Suggest(ctx, seller, q); err != nil {
		t.Fatal(err)
	}
	return q
}
