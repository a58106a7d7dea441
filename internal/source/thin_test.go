package source_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

func TestFlowHours(t *testing.T) {
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	recent, baseline := source.FlowHours(now)
	at := func(h int) time.Time { return time.Date(2026, time.March, 10, h, 0, 0, 0, time.UTC) }
	want := []source.Window{{From: at(11), To: at(12)}, {From: at(12), To: at(13)}, {From: at(13), To: at(14)}}
	if !slices.Equal(recent, want) {
		t.Errorf("FlowHours() recent = %v, want %v", recent, want)
	}
	if len(baseline) != source.SilenceBaselineDays {
		t.Fatalf("FlowHours() gave %d baseline windows, want %d", len(baseline), source.SilenceBaselineDays)
	}
	for d, w := range baseline {
		back := time.Duration(d+1) * 24 * time.Hour
		if w.From != at(11).Add(-back) || w.To != at(14).Add(-back) {
			t.Errorf("baseline[%d] = %v, want the recent hours %v earlier", d, w, back)
		}
	}
}

func TestFlowJudge(t *testing.T) {
	busy := []int{120, 110, 130, 125, 115, 120, 120} // ~40 an hour over 3 hours
	const reason5 = "6 webhooks in the last 3 h while it delivered ~120 at these hours over the past 7 days (5%)"
	for _, tc := range []struct {
		name      string
		thinned   bool
		recent    int
		baseline  []int
		open      int
		suspect   bool
		abnormal  bool
		recovered bool
		reason    string
	}{
		{"5% of the usual rate", false, 6, busy, 10, true, true, false, reason5},
		{"open not counted yet", false, 6, busy, -1, true, false, false, ""},
		{"few parcels in flight", false, 6, busy, 9, true, false, false, ""},
		{"a slow day: half the usual rate", false, 60, busy, 10, false, false, false, ""},
		{"just above a quarter", false, 30, busy, 10, false, false, false, ""},
		{"just under a quarter", false, 29, busy, 10, true, true, false,
			"29 webhooks in the last 3 h while it delivered ~120 at these hours over the past 7 days (24%)"},
		{"a small seller: 5 at these hours", false, 0, []int{5, 6, 4, 5, 7, 5, 6}, 10, false, false, false, ""},
		{"the night: under 30 at these hours", false, 2, []int{25, 28, 20, 29, 24, 26, 22}, 10, false, false, false, ""},
		{"quiet the same hours a week before (weekly rhythm)", false, 6, []int{120, 110, 130, 125, 115, 120, 20}, 10, false, false, false, ""},
		{"three odd days do not move the median", false, 6, []int{0, 120, 0, 120, 0, 120, 120}, 10, true, true, false,
			"6 webhooks in the last 3 h while it delivered ~120 at these hours over the past 7 days (5%)"},
		{"a new source (four empty days)", false, 0, []int{120, 120, 120, 0, 0, 0, 0}, 10, false, false, false, ""},
		{"thinned, still thin", true, 40, busy, 10, false, false, false, ""},
		{"thinned, back to half", true, 60, busy, 0, false, false, true, ""},
		{"thinned, the baseline no longer busy", true, 0, []int{20, 20, 20, 20, 20, 20, 20}, 0, false, false, true, ""},
		{"no baseline", false, 0, nil, 10, false, false, false, ""},
	} {
		f := source.Flow{Thinned: tc.thinned, Recent: spread(tc.recent), Baseline: tc.baseline}
		v := f.Judge(tc.open)
		if v.Suspect != tc.suspect || v.Abnormal != tc.abnormal || v.Recovered != tc.recovered || v.Reason != tc.reason {
			t.Errorf("%s: Judge() = %+v, want suspect %v, abnormal %v, recovered %v, reason %q",
				tc.name, v, tc.suspect, tc.abnormal, tc.recovered, tc.reason)
		}
	}
}

// A whole hour with nothing is a gap, the silence check's to judge after
// SilenceMin: only deliveries in every hour make a trickle.
func TestFlowJudgeNeedsASender(t *testing.T) {
	busy := []int{120, 120, 120, 120, 120, 120, 120}
	for _, tc := range []struct {
		recent  []int
		suspect bool
	}{
		{[]int{1, 1, 1}, true},
		{[]int{3, 0, 0}, false},
		{[]int{0, 0, 3}, false},
		{[]int{1, 0, 2}, false},
	} {
		f := source.Flow{Recent: tc.recent, Baseline: busy}
		if v := f.Judge(10); v.Suspect != tc.suspect {
			t.Errorf("recent hours %v: Judge() = %+v, want suspect %v", tc.recent, v, tc.suspect)
		}
	}
}

// NeedsWeek keeps for a full read every flow Judge could find thinned,
// and the held ones; it clears the others on the week before alone.
func TestFlowNeedsWeek(t *testing.T) {
	week := func(last int) []int { return []int{0, 0, 0, 0, 0, 0, last} }
	for _, tc := range []struct {
		name   string
		f      source.Flow
		needed bool
	}{
		{"as usual", source.Flow{Recent: []int{40, 40, 40}, Baseline: week(120)}, false},
		{"half the week before", source.Flow{Recent: []int{20, 20, 20}, Baseline: week(120)}, false},
		{"under a quarter of the week before", source.Flow{Recent: []int{9, 10, 10}, Baseline: week(120)}, true},
		{"held", source.Flow{Thinned: true, Recent: []int{40, 40, 40}, Baseline: week(120)}, true},
	} {
		if got := tc.f.NeedsWeek(); got != tc.needed {
			t.Errorf("%s: NeedsWeek() = %v, want %v", tc.name, got, tc.needed)
		}
		// Whatever the other days, a flow cleared cannot be thinned.
		if !tc.needed {
			full := tc.f
			full.Baseline = []int{1000, 1000, 1000, 1000, 1000, 1000, tc.f.Baseline[6]}
			if v := full.Judge(100); v.Suspect {
				t.Errorf("%s: cleared by NeedsWeek but Judge() = %+v", tc.name, v)
			}
		}
	}
}

// Judge never reorders the caller's counts (it sorts a copy).
func TestFlowJudgeKeepsBaseline(t *testing.T) {
	base := []int{90, 1, 140, 3, 140, 140, 140}
	f := source.Flow{Recent: []int{1, 1, 1}, Baseline: slices.Clone(base)}
	f.Judge(10)
	if !slices.Equal(f.Baseline, base) {
		t.Errorf("Baseline after Judge = %v, want %v", f.Baseline, base)
	}
}

// spread splits n deliveries over the three recent hours, none empty
// when n allows it (the hours' split does not change the verdict).
func spread(n int) []int {
	h := []int{n / 3, n / 3, n - 2*(n/3)}
	for i := 0; i < 2 && h[i] == 0 && h[2] > 1; i++ {
		h[i], h[2] = 1, h[2]-1
	}
	return h
}
