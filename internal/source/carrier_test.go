package source_test

import (
	"testing"

	"github.com/shipwatch/shipwatch/internal/source"
)

// days is a week of baselines whose median is m and whose last day (a
// week before) is wb.
func days(m, wb int) []int { return []int{m + 5, m - 5, m, m, m + 1, m - 1, wb} }

// The carrier check's thresholds, one at a time, at their boundaries:
// silent from a median of 12, thinned from 30 under a quarter of it (and
// of a week before), only while the source's other carriers keep coming,
// only with 10 of the carrier's parcels in flight; a held carrier
// recovers at half the median, or once the median is under 12.
func TestCarrierJudge(t *testing.T) {
	const silent12 = "no USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"
	for _, tc := range []struct {
		name            string
		held, sending   bool
		recent          []int
		baseline        []int
		open            int
		suspect, marked bool
		recovered       bool
		reason          string
	}{
		{"silent, median 12", false, true, []int{0, 0, 0}, days(12, 12), 10, true, true, false, silent12},
		{"silent, median 11", false, true, []int{0, 0, 0}, days(11, 12), 10, false, false, false, ""},
		{"silent, the week before empty too", false, true, []int{0, 0, 0}, days(12, 0), 10, false, false, false, ""},
		{"silent, the source itself has an empty hour", false, false, []int{0, 0, 0}, days(40, 40), 10, false, false, false, ""},
		{"silent, 9 parcels in flight", false, true, []int{0, 0, 0}, days(12, 12), 9, true, false, false, ""},
		{"silent, parcels not counted yet", false, true, []int{0, 0, 0}, days(12, 12), -1, true, false, false, ""},
		{"7 against a median of 30: under a quarter", false, true, []int{3, 2, 2}, days(30, 30), 10, true, true, false,
			"7 USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~30 at these hours over the past 7 days (23%)"},
		{"8 against a median of 30: not under a quarter", false, true, []int{3, 3, 2}, days(30, 30), 10, false, false, false, ""},
		{"a trickle against a median of 29: too few to judge", false, true, []int{1, 0, 0}, days(29, 29), 10, false, false, false, ""},
		{"a trickle, a quiet week before (weekly rhythm)", false, true, []int{1, 0, 1}, days(40, 8), 10, false, false, false, ""},
		{"held, 19 against 40: still under half", true, true, []int{7, 6, 6}, days(40, 40), 0, false, false, false, ""},
		{"held, 20 against 40: back to half", true, true, []int{7, 7, 6}, days(40, 40), 0, false, false, true, ""},
		{"held, the median down to 11", true, false, []int{0, 0, 0}, days(11, 11), 0, false, false, true, ""},
		{"held, the median 12, still silent", true, true, []int{0, 0, 0}, days(12, 12), 0, false, false, false, ""},
		{"no baseline", false, true, []int{0, 0, 0}, nil, 10, false, false, false, ""},
	} {
		f := source.CarrierFlow{Carrier: "USPS", Held: tc.held, Sending: tc.sending, Recent: tc.recent, Baseline: tc.baseline}
		v := f.Judge(tc.open)
		if v.Suspect != tc.suspect || v.Abnormal != tc.marked || v.Recovered != tc.recovered || v.Reason != tc.reason {
			t.Errorf("%s: Judge(%d) = suspect %v, abnormal %v, recovered %v, %q; want %v, %v, %v, %q", tc.name, tc.open,
				v.Suspect, v.Abnormal, v.Recovered, v.Reason, tc.suspect, tc.marked, tc.recovered, tc.reason)
		}
	}
}

// NeedsWeek lets through, on the last hours and the week before alone,
// exactly the flows Judge could mark or must recover.
func TestCarrierNeedsWeek(t *testing.T) {
	week := func(wb int) []int { return []int{0, 0, 0, 0, 0, 0, wb} }
	for _, tc := range []struct {
		name          string
		held, sending bool
		recent        []int
		baseline      []int
		want          bool
	}{
		{"held", true, false, []int{40, 40, 40}, week(120), true},
		{"9 against 40 a week before", false, true, []int{3, 3, 3}, week(40), true},
		{"10 against 40 a week before", false, true, []int{4, 3, 3}, week(40), false},
		{"silent, the source not sending", false, false, []int{0, 0, 0}, week(40), false},
		{"silent, nothing a week before", false, true, []int{0, 0, 0}, week(0), false},
	} {
		f := source.CarrierFlow{Held: tc.held, Sending: tc.sending, Recent: tc.recent, Baseline: tc.baseline}
		if got := f.NeedsWeek(); got != tc.want {
			t.Errorf("%s: NeedsWeek() = %v, want %v", tc.name, got, tc.want)
		}
		// Whatever the other days, a flow NeedsWeek lets go is not marked.
		if !tc.want && !tc.held {
			for _, m := range []int{12, 30, 120} {
				full := []int{m, m, m, m, m, m, tc.baseline[6]}
				if v := (source.CarrierFlow{Sending: tc.sending, Recent: tc.recent, Baseline: full}).Judge(10); v.Suspect {
					t.Errorf("%s: let go by NeedsWeek, but Judge marks it with a median of %d", tc.name, m)
				}
			}
		}
	}
}
