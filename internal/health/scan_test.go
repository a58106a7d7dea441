package health

import (
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/store"
)

// handDelays is a seller's 100 numbers: 60 first scanned 2 hours after
// they arrived, 30 after 10 hours, 5 after 30 hours, 5 never.
func handDelays() *scanDelays {
	var ds []*time.Duration
	add := func(n int, d *time.Duration) {
		for range n {
			ds = append(ds, d)
		}
	}
	h := func(n int) *time.Duration { d := time.Duration(n) * time.Hour; return &d }
	add(30, h(10))
	add(5, nil)
	add(60, h(2))
	add(5, h(30))
	return newScanDelays(ds)
}

// TestScanChanceHandBuilt: the chance of a first scan for a number still
// without one, from the numbers that were still waiting at its age, with
// one pseudo-number scanned with chance 1/2: (scanned + 0.5) / (waiting + 1).
func TestScanChanceHandBuilt(t *testing.T) {
	s := handDelays()
	h := time.Hour
	for _, c := range []struct {
		name        string
		age, within time.Duration
		want        float64
	}{
		// All 100 waiting, 95 scanned some day: 95.5/101.
		{"just arrived", 0, -1, 95.5 / 101},
		// A 2-hour scan is not waiting at 2 hours: 30 + 5 + 5 = 40
		// waiting, 35 scanned: 35.5/41.
		{"at 2 hours", 2 * h, -1, 35.5 / 41},
		{"at 5 hours", 5 * h, -1, 35.5 / 41},
		// 10 waiting (5 at 30 hours, 5 never): 5.5/11 = 0.5.
		{"at 12 hours", 12 * h, -1, 0.5},
		// Only the 5 never scanned wait this long: 0.5/6.
		{"at 2 days", 48 * h, -1, 0.5 / 6},
		// By 10 more hours (at 15 hours): the 30 at 10 hours of the 40
		// waiting: 30.5/41.
		{"at 5 hours, within 10", 5 * h, 10 * h, 30.5 / 41},
		// Nothing is scanned between 12 and 20 hours: 0.5/11.
		{"at 12 hours, within 8", 12 * h, 8 * h, 0.5 / 11},
	} {
		got, ok := s.chance(c.age, c.within)
		if !ok || !approx(got, c.want) {
			t.Errorf("%s: chance(%v, %v) = %v, %v, want %v", c.name, c.age, c.within, got, ok, c.want)
		}
	}
	// 49 numbers are too few to learn from.
	few := newScanDelays(make([]*time.Duration, scanDelayMin-1))
	if _, ok := few.chance(0, -1); ok {
		t.Errorf("chance() with %d numbers learned, want the fixed rule", scanDelayMin-1)
	}
}

// TestProjectWithScanDelays: a number without a scan 12 hours after it
// arrived counts in VTR with the learned chance 0.5 (not the seller's
// rate: its 2-day grace is not over), and in OTD with the forecast's
// on-time chance times it: (1 − 0.2) × 0.5 = 0.4. A number failing the
// check counts 0 in both. Without enough delays, the fixed rule: the
// seller's VTR 0.96.
func TestProjectWithScanDelays(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []store.Shipment{
		{ID: "g", NormalizedTrackingNumber: "1Z1", TrackingValid: true, TrackingReceivedAt: at(-12 * time.Hour), ShippedAt: at(-12 * time.Hour),
			DeliverBy: at(2 * day), CreatedAt: now.Add(-day)},
		{ID: "h", NormalizedTrackingNumber: "1Z2", TrackingReceivedAt: at(-12 * time.Hour), ShippedAt: at(-12 * time.Hour),
			DeliverBy: at(2 * day), CreatedAt: now.Add(-day)},
	}
	fc := map[string]forecast.Forecast{"g": {HasDeadline: true, MissProbability: 0.2}, "h": {HasDeadline: true, MissProbability: 0.2}}
	base := map[Metric]float64{ValidTrackingRate: 0.96, OnTimeDeliveryRate: 0.9}
	for _, c := range []struct {
		name     string
		scans    *scanDelays
		vtr, otd float64
	}{
		{"learned", handDelays(), 0.5, 0.4},
		{"fixed rule", newScanDelays(nil), 0.96, 0.8 * 0.96},
	} {
		in := &outcomeInputs{now: now, loc: time.UTC, base: base, forecasts: fc, scans: c.scans}
		for _, m := range []struct {
			metric Metric
			want   float64
		}{{ValidTrackingRate, c.vtr}, {OnTimeDeliveryRate, c.otd}} {
			k := KeyPromisedDelivery
			g, ok := openOutcome(m.metric, k, &open[0], in)
			if !ok || !approx(g.p, m.want) {
				t.Errorf("%s: %s of g = %v (open %v), want %v", c.name, m.metric, g.p, ok, m.want)
			}
			h, ok := openOutcome(m.metric, k, &open[1], in)
			if !ok || h.p != 0 {
				t.Errorf("%s: %s of h (number failing the check) = %v (open %v), want 0", c.name, m.metric, h.p, ok)
			}
		}
	}
}
