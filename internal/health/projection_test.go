package health

import (
	"math"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/store"
)

func approx(a, b float64) bool { return math.Abs(a-b) < 2e-6 }

// TestProjectLateShipment adds open shipments to a window's known counts
// for a failure metric: an unshipped shipment counts as late now, and at
// evaluation with the seller's late rate.
func TestProjectLateShipment(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []store.Shipment{
		{ID: "a", ShipBy: at(day), CreatedAt: now},                      // open: late with 0.025
		{ID: "b", ShipBy: at(6 * day), CreatedAt: now},                  // after the evaluation day
		{ID: "c", ShipBy: at(-time.Hour), CreatedAt: now},               // past ship-by: late, settled
		{ID: "d", ShipBy: at(day), ShippedAt: at(-day), CreatedAt: now}, // shipped: settled
	}
	p := Projection{Standard: standards[Amazon][1], WindowDays: 10, From: now.Add(-10 * day), EvaluatedAt: now.Add(5 * day), Denominator: 42, Known: 3}
	in := &outcomeInputs{now: now, loc: time.UTC, base: map[Metric]float64{LateShipmentRate: 0.025}}
	project(&p, decide(p.Standard, open, in), in)
	// Known 3 counts a as late; it is late with 0.025:
	//   expected = 3 + (0.025 − 1) = 2.025; variance 0.025 × 0.975 = 0.024375,
	//   sd 0.1561249, × 1.6448536 = 0.2568028: low max(2, 1.7681972) = 2,
	//   high min(3, 2.2818028) = 2.2818028. round(2.025) = 2: 2/42 = 4.8%,
	//   not under 4%: FAILING.
	if p.Open != 1 || !approx(p.Expected, 2.025) || !approx(p.Low, 2) || !approx(p.High, 2.2818028) || p.Status != Failing {
		t.Errorf("project(LSR) = open %d expected %v [%v, %v] %s, want 1 2.025 [2, 2.2818028] FAILING", p.Open, p.Expected, p.Low, p.High, p.Status)
	}
	if o := p.outcomes[0]; o.action != ShipOrUpgrade || !o.deadline.Equal(*open[0].ShipBy) {
		t.Errorf("a's action = %s by %v, want SHIP_OR_UPGRADE by its ship-by", o.action, o.deadline)
	}
}

// TestProjectOnTimeDelivery uses the delivery forecast's miss probability
// where there is one, and the seller's rate elsewhere.
func TestProjectOnTimeDelivery(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []store.Shipment{
		{ID: "e", DeliverBy: at(2 * day), ShippedAt: at(-day), CreatedAt: now}, // forecast: miss 0.4
		{ID: "f", DeliverBy: at(2 * day), ShipBy: at(day), CreatedAt: now},     // not shipped: 0.9
	}
	p := Projection{Standard: standards[Amazon][3], WindowDays: 14, From: now.Add(-14 * day), EvaluatedAt: now.Add(7 * day), Denominator: 10, Known: 8}
	in := &outcomeInputs{now: now, loc: time.UTC, base: map[Metric]float64{OnTimeDeliveryRate: 0.9},
		forecasts: map[string]forecast.Forecast{"e": {HasDeadline: true, MissProbability: 0.4}}}
	project(&p, decide(p.Standard, open, in), in)
	// expected = 8 + 0.6 + 0.9 = 9.5; variance 0.6×0.4 + 0.9×0.1 = 0.33,
	// sd 0.5744563, × 1.6448536 = 0.9448966: low 8.5551034, high
	// min(10, 10.4448966) = 10. round(9.5) = 10: 100%, above 97%: OK.
	if p.Open != 2 || !approx(p.Expected, 9.5) || !approx(p.Low, 8.5551034) || !approx(p.High, 10) || p.Status != OK {
		t.Errorf("project(OTD) = open %d expected %v [%v, %v] %s, want 2 9.5 [8.5551034, 10] OK", p.Open, p.Expected, p.Low, p.High, p.Status)
	}
	for _, o := range p.outcomes {
		want := map[string]Action{"e": ContactBuyer, "f": ShipOrUpgrade}[o.shipment.ID]
		if o.action != want {
			t.Errorf("%s's action = %s, want %s", o.shipment.ID, o.action, want)
		}
	}
}

// TestProjectOnTimeDeliveryUnscanned discounts a forecast's on-time chance
// by the chance of a first scan when the number has none yet.
func TestProjectOnTimeDeliveryUnscanned(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []store.Shipment{
		// Shipped 4 days ago with a valid number, never scanned.
		{ID: "g", DeliverBy: at(2 * day), ShippedAt: at(-4 * day), CreatedAt: now.Add(-4*day - time.Hour),
			TrackingReceivedAt: at(-4*day - time.Hour), NormalizedTrackingNumber: "1ZG", TrackingValid: true},
		// Scanned: the forecast alone.
		{ID: "h", DeliverBy: at(2 * day), ShippedAt: at(-day), FirstScanAt: at(-day), CreatedAt: now.Add(-day),
			NormalizedTrackingNumber: "1ZH", TrackingValid: true},
	}
	p := Projection{Standard: standards[Amazon][3], WindowDays: 14, From: now.Add(-14 * day), EvaluatedAt: now.Add(7 * day), Denominator: 10, Known: 8}
	in := &outcomeInputs{now: now, loc: time.UTC, base: map[Metric]float64{OnTimeDeliveryRate: 0.9, ValidTrackingRate: 0.96},
		forecasts: map[string]forecast.Forecast{"g": {HasDeadline: true, MissProbability: 0.25}, "h": {HasDeadline: true, MissProbability: 0.25}}}
	project(&p, decide(p.Standard, open, in), in)
	// g: 4 whole days since its number, 2 past the grace: scan chance
	// 0.96 × 0.5² = 0.24; on time 0.75 × 0.24 = 0.18. h: 0.75.
	// expected = 8 + 0.18 + 0.75 = 8.93.
	if p.Open != 2 || !approx(p.Expected, 8.93) {
		t.Errorf("project(OTD) = open %d expected %v, want 2 8.93", p.Open, p.Expected)
	}
}
