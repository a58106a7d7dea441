package forecast

import (
	"math"
	"slices"
	"testing"
	"time"
)

var ny = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, ny)
}

func TestBusinessDays(t *testing.T) {
	fri := at(12, 4, 15)
	tests := []struct {
		from, to time.Time
		want     int
	}{
		{fri, at(12, 4, 20), 0},          // same day
		{fri, at(12, 5, 10), 0},          // Saturday counts as Friday
		{fri, at(12, 7, 9), 1},           // Monday
		{at(12, 7, 9), at(12, 11, 9), 4}, // Monday to Friday
		// 03:00 UTC on Saturday is 22:00 on Friday in New York.
		{time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC), at(12, 7, 9), 1},
	}
	for _, tt := range tests {
		if got := BusinessDays(tt.from, tt.to, ny); got != tt.want {
			t.Errorf("BusinessDays(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
	// Friday + 2 business days is the end of Tuesday, New York time.
	if got, want := AddBusinessDays(fri, 2, ny), time.Date(2026, 12, 8, 23, 59, 59, 999999000, ny); !got.Equal(want) {
		t.Errorf("AddBusinessDays(Fri, 2) = %s, want %s", got, want)
	}
}

func TestLaneKeys(t *testing.T) {
	l := Lane{Carrier: "UPS", Service: "Ground", Origin: ZIP3("10001", "US"), Dest: ZIP3("94105-1234", "")}
	want := []string{"ups|ground|100|941", "ups|ground|national", "ups|ground", "ups"}
	if got := l.Keys(); !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
	if got := (Lane{Carrier: "ups", Origin: "100", Dest: "104"}).Band(); got != "regional" {
		t.Errorf("Band(100, 104) = %q, want regional", got)
	}
	if got := (Lane{Carrier: "ups", Dest: "104"}).Keys(); !slices.Equal(got, []string{"ups|", "ups"}) {
		t.Errorf("Keys() without origin = %q", got)
	}
	for _, tc := range [][2]string{{"1000", "US"}, {"SW1A 1AA", "GB"}, {"10001", "CA"}, {"A0001", ""}} {
		if got := ZIP3(tc[0], tc[1]); got != "" {
			t.Errorf("ZIP3(%q, %q) = %q, want none", tc[0], tc[1], got)
		}
	}
}

// The hand-built lane: 50 deliveries this week, taking 1 business day
// (10), 2 (20), 3 (10), 5 (5) and 8 (5). The parcel shipped on Friday
// 2026-12-04 at 15:00 in New York, to be delivered by Wednesday 12-09
// (3 business days).
func TestPredictHandBuilt(t *testing.T) {
	now := at(12, 7, 9) // Monday
	key := "ups|ground|100|941"
	obs := []Observation{{key, now, 1, 10}, {key, now, 2, 20}, {key, now, 3, 10}, {key, now, 5, 5}, {key, now, 8, 5}}
	hists := Build(obs, now)
	lane := Lane{Carrier: "ups", Service: "ground", Origin: "100", Dest: "941"}
	due := at(12, 9, 12)
	p := Parcel{Lane: lane, ShippedAt: at(12, 4, 15), DeliverBy: &due}

	// Monday morning, one business day gone: nothing is ruled out (it
	// may arrive today). Cumulative: 10, 30 (>= 25: p50 = 2 days, Tuesday),
	// 40, 45 (>= 45: p90 = 5 days, Friday 12-11). Late: 4 days or more,
	// (5+5)/50 = 0.2.
	f, err := Predict(p, hists, now, ny)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Monday", f, at(12, 8, 0), at(12, 11, 0), 0.2, 50, key)

	// Wednesday, not delivered: 3 days gone, 20 deliveries left (3: 10,
	// 5: 5, 8: 5). p50: 10 >= 10 at 3 days (Wednesday); p90: 18 reached
	// at 8 days (Wednesday 12-16). Late: (5+5)/20 = 0.5.
	f, err = Predict(p, hists, at(12, 9, 10), ny)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Wednesday", f, at(12, 9, 0), at(12, 16, 0), 0.5, 50, key)

	// Later than anything seen (12-28 is 16 business days): expected
	// today, certainly late.
	f, err = Predict(p, hists, at(12, 28, 10), ny)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "three weeks late", f, at(12, 28, 0), at(12, 28, 0), 1, 50, key)
}

func check(t *testing.T, name string, f Forecast, p50Day, p90Day time.Time, miss float64, basedOn int, lane string) {
	t.Helper()
	end := func(d time.Time) time.Time { return d.AddDate(0, 0, 1).Add(-time.Microsecond) }
	if !f.P50.Equal(end(p50Day)) || !f.P90.Equal(end(p90Day)) || math.Abs(f.MissProbability-miss) > 1e-9 || f.BasedOn != basedOn || f.Lane != lane {
		t.Errorf("%s: Predict = p50 %s p90 %s miss %v based on %d of %s, want %s %s %v %d %s", name,
			f.P50, f.P90, f.MissProbability, f.BasedOn, f.Lane, end(p50Day), end(p90Day), miss, basedOn, lane)
	}
}

// Five deliveries on the exact lane are too few (MinEvidence 20): the
// forecast falls back to the service's 30, all 4 days; with no history at
// all there is no forecast.
func TestPredictFallsBack(t *testing.T) {
	now := at(12, 7, 9)
	obs := []Observation{{"ups|ground|100|941", now, 1, 5}, {"ups|ground", now, 4, 30}}
	p := Parcel{Lane: Lane{Carrier: "ups", Service: "ground", Origin: "100", Dest: "941"}, ShippedAt: at(12, 4, 15)}
	f, err := Predict(p, Build(obs, now), now, ny)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "fallback", f, at(12, 10, 0), at(12, 10, 0), 0, 30, "ups|ground")
	if _, err := Predict(Parcel{Lane: Lane{Carrier: "fedex"}, ShippedAt: now}, Build(obs, now), now, ny); err != ErrNoHistory {
		t.Errorf("Predict(no history) error = %v, want ErrNoHistory", err)
	}
}

// Recency: 40 deliveries of 2 days eight weeks ago weigh 40 * 0.5^(8/4) =
// 10; 20 of 4 days this week weigh 20. Weighted, the median is 4 days
// (10 < 15 <= 30); counted flat it would be 2.
func TestPredictWeighsRecentWeeks(t *testing.T) {
	now := at(12, 7, 9)
	key := "ups"
	obs := []Observation{{key, now.Add(-56 * 24 * time.Hour), 2, 40}, {key, now, 4, 20}}
	h := Build(obs, now)[key]
	if math.Abs(h.Weight[2]-10) > 1e-9 || h.Weight[4] != 20 || h.Count != 60 {
		t.Fatalf("weights = %v (count %d), want 10 at 2 days, 20 at 4", h.Weight[:5], h.Count)
	}
	f, err := Predict(Parcel{Lane: Lane{Carrier: "ups"}, ShippedAt: at(12, 4, 15)}, Build(obs, now), now, ny)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "recency", f, at(12, 10, 0), at(12, 10, 0), 0, 60, key)
}

// RiskFrom on the hand-built lane (1 day: 10, 2: 20, 3: 10, 5: 5, 8: 5),
// shipped Friday 12-04 15:00, deliverBy Wednesday 12-09 (3 business days):
// late deliveries (4 days or more) weigh 10. Elapsed 0 or 1: 10/50 = 0.2;
// 2: 10/40 = 0.25; 3: 10/20 = 0.5. Threshold 0.1: from the ship time at
// 0.2. Threshold 0.2 (0.2 is not above it): from elapsed 2, Tuesday 12-08
// 00:00, at 0.25. Threshold 0.4: from Wednesday 12-09 00:00 at 0.5.
// Threshold 0.5: never before deliverBy's day is over.
func TestRiskFromHandBuilt(t *testing.T) {
	now := at(12, 7, 9)
	key := "ups"
	hists := Build([]Observation{{key, now, 1, 10}, {key, now, 2, 20}, {key, now, 3, 10}, {key, now, 5, 5}, {key, now, 8, 5}}, now)
	due := at(12, 9, 12)
	p := Parcel{Lane: Lane{Carrier: "ups"}, ShippedAt: at(12, 4, 15), DeliverBy: &due}
	for _, tc := range []struct {
		threshold float64
		ok        bool
		from      time.Time
		prob      float64
	}{
		{0.1, true, at(12, 4, 15), 0.2},
		{0.2, true, at(12, 8, 0), 0.25},
		{0.4, true, at(12, 9, 0), 0.5},
		{0.5, false, time.Time{}, 0},
	} {
		r, ok := RiskFrom(p, hists, tc.threshold, ny)
		if ok != tc.ok || !r.From.Equal(tc.from) || math.Abs(r.Probability-tc.prob) > 1e-9 || ok && r.Lane != key {
			t.Errorf("RiskFrom(threshold %v) = %+v, %v, want from %s at %v", tc.threshold, r, ok, tc.from, tc.prob)
		}
	}
	if _, ok := RiskFrom(Parcel{Lane: p.Lane, ShippedAt: p.ShippedAt}, hists, 0.1, ny); ok {
		t.Errorf("RiskFrom without deliverBy: ok, want none")
	}
}

// HalfLife on hand-built weeks, now Monday 12-07: the last two weeks are
// those of 11-30 and 12-07; the four weeks before them (11-02 to 11-23,
// 1 to 4 weeks before 11-30) hold 20 deliveries each.
//
//   - Steady: every week's 20 took 2 days, and so did the last two weeks'
//     40. Each half-life puts all its weight T on 2 days, so each of the 40
//     has p = (T + 1/31)/(T + 1): the largest T, 4 weeks', wins.
//   - Slowed: the week of 11-23 (1 week old) already took 4 days, and so
//     did the last two weeks' 40. Weight at 4 days / total: 4 weeks
//     20·0.8409/20·2.6426 (p = 16.85/53.85 = 0.3129), 2 weeks
//     20·0.7071/20·1.8107 (p = 14.17/37.21 = 0.3809), 1 week 10/18.75
//     (p = 10.03/19.75 = 0.5080). Log-likelihoods 40·ln p: -46.5, -38.6,
//     -27.1: 1 week wins by 19 nats, more than minGain.
//   - Too few: the slowed case with only 20 deliveries in the last two
//     weeks keeps the default.
func TestHalfLifeHandBuilt(t *testing.T) {
	now := at(12, 7, 9)
	week := func(month time.Month, day int) time.Time { return time.Date(2026, month, day, 0, 0, 0, 0, time.UTC) }
	old := func(last int) []Observation {
		var obs []Observation
		for _, w := range []time.Time{week(11, 2), week(11, 9), week(11, 16)} {
			obs = append(obs, Observation{"ups", w, 2, 20})
		}
		return append(obs, Observation{"ups", week(11, 23), last, 20})
	}
	steady := append(old(2), Observation{"ups", week(11, 30), 2, 20}, Observation{"ups", week(12, 7), 2, 20})
	slowed := append(old(4), Observation{"ups", week(11, 30), 4, 20}, Observation{"ups", week(12, 7), 4, 20})
	few := append(old(4), Observation{"ups", week(11, 30), 4, 20})
	for _, tc := range []struct {
		name string
		obs  []Observation
		want float64
	}{{"steady", steady, 4}, {"slowed", slowed, 1}, {"too few", few, 4}} {
		if got := HalfLife(tc.obs, now); got != tc.want {
			t.Errorf("%s: HalfLife = %v weeks, want %v", tc.name, got, tc.want)
		}
	}

	// Build applies the carrier's half-life to every key of the carrier: a
	// delivery of 11-23 (2 weeks old at 12-07) on ups|ground weighs 0.5^2
	// once ups follows its last week, 0.5^(2/4) on fedex|home (no recent
	// fedex deliveries, so the default).
	obs := append(slowed, Observation{"ups|ground", week(11, 23), 4, 1}, Observation{"fedex|home", week(11, 23), 4, 1})
	hists := Build(obs, week(12, 7))
	if got := hists["ups|ground"].Weight[4]; math.Abs(got-0.25) > 1e-9 {
		t.Errorf("ups|ground weight = %v, want 0.25 (half-life 1 week)", got)
	}
	if got := hists["fedex|home"].Weight[4]; math.Abs(got-math.Pow(0.5, 0.5)) > 1e-9 {
		t.Errorf("fedex|home weight = %v, want 0.7071 (half-life 4 weeks)", got)
	}
}
