package source_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

// flow is a USPS flow at rate an hour in every hour of each of the 7 days
// before, through a source whose other carriers bring 5 an hour, and whose
// last hours brought last (oldest first, ending with the last whole hour;
// the hours before them brought rate each).
func flow(rate int, last ...int) source.CarrierFlow {
	f := source.CarrierFlow{Carrier: "USPS", Recent: make([]int, source.CarrierSpan), Source: make([]int, source.CarrierSpan)}
	for h := range f.Recent {
		f.Recent[h] = rate
	}
	copy(f.Recent[source.CarrierSpan-len(last):], last)
	for h := range f.Source {
		f.Source[h] = f.Recent[h] + 5
	}
	for range source.SilenceBaselineDays {
		day := make([]int, source.CarrierSpan)
		for h := range day {
			day[h] = rate
		}
		f.Baseline = append(f.Baseline, day)
	}
	return f
}

// zeros is n hours without a delivery.
func zeros(n int) []int { return make([]int, n) }

// withDays sets the baseline day d (0: one day before) to rate an hour.
func withDay(f source.CarrierFlow, d, rate int) source.CarrierFlow {
	f.Baseline = slices.Clone(f.Baseline)
	f.Baseline[d] = make([]int, source.CarrierSpan)
	for h := range f.Baseline[d] {
		f.Baseline[d][h] = rate
	}
	return f
}

// The carrier check's thresholds, one at a time, at their boundaries,
// computed by hand. The window is the shortest of 3, 6, 12 and 24 h whose
// median reaches the bar: 12 for a stop, 30 for a trickle. A carrier at
// 20 an hour is judged over 3 h (median 60); at 2 an hour, a stop over
// 6 h (median 12) and a trickle over 24 h (48); at 1 an hour, a stop over
// 12 h (12) and never a trickle (24 in 24 h is under 30); at 11 in 24 h,
// never. In each case under a quarter of the median and of a week before,
// only while the source's other carriers keep coming, only with 10 of the
// carrier's parcels in flight; a held carrier recovers at half the median
// of each window it is judged on, or once no window's median reaches 12.
func TestCarrierJudge(t *testing.T) {
	const stop12of1 = "no USPS webhooks in the last 12 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"
	// A day like the 1-an-hour carrier's ordinary ones: 12 in the last
	// 12 h, with empty hours.
	ordinary := []int{1, 0, 2, 1, 0, 0, 3, 1, 0, 1, 2, 0, 1, 0, 0, 2, 1, 0, 1, 0, 3, 1, 0, 1}
	quietSource := flow(1, zeros(12)...)
	for h := 15; h < 18; h++ { // the source brought nothing from 9 to 7 hours ago
		quietSource.Source[h] = 0
	}
	sparseSource := flow(1, zeros(12)...)
	for h := range sparseSource.Source {
		sparseSource.Source[h] = 0
	}
	for h := 0; h < source.CarrierSpan; h += 3 { // one delivery of another carrier every 3 hours
		sparseSource.Source[h] = 1
	}
	for _, tc := range []struct {
		name            string
		f               source.CarrierFlow
		held            bool
		open            int
		suspect, marked bool
		recovered       bool
		hours           int
		reason          string
	}{
		// 20 an hour: the 3 hours, as for a busy source.
		{"20 an hour, 3 h silent", flow(20, 0, 0, 0), false, 10, true, true, false, 3,
			"no USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~60 at these hours over the past 7 days"},
		{"20 an hour, 2 h silent", flow(20, 0, 0), false, 10, false, false, false, 3, ""},
		{"20 an hour, 14 in 3 h (23%)", flow(20, 5, 5, 4), false, 10, true, true, false, 3,
			"14 USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~60 at these hours over the past 7 days (23%)"},
		{"20 an hour, 15 in 3 h: not under a quarter", flow(20, 5, 5, 5), false, 10, false, false, false, 3, ""},
		// 4 an hour: a stop over 3 h (median 12), a trickle over 12 h (48).
		{"4 an hour, 3 h silent", flow(4, 0, 0, 0), false, 10, true, true, false, 3,
			"no USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"},
		{"4 an hour, 11 in 12 h (22%)", flow(4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0), false, 10, true, true, false, 12,
			"11 USPS webhooks in the last 12 h (other carriers' still arrive) while it delivered ~48 at these hours over the past 7 days (22%)"},
		{"4 an hour, 12 in 12 h", flow(4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), false, 10, false, false, false, 12, ""},
		// 2 an hour: a stop over 6 h (median 12), a trickle over 24 h (48).
		{"2 an hour, 6 h silent", flow(2, zeros(6)...), false, 10, true, true, false, 6,
			"no USPS webhooks in the last 6 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"},
		{"2 an hour, 5 h silent", flow(2, zeros(5)...), false, 10, false, false, false, 24, ""},
		{"2 an hour, 11 in 24 h", flow(2, append([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, zeros(13)...)...), false, 10, true, true, false, 6,
			// 6 h silent too: the stop is judged first.
			"no USPS webhooks in the last 6 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"},
		{"2 an hour, 11 in 24 h, the last 5 h silent", flow(2, append(append(zeros(12), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), zeros(1)...)...), false, 10, true, true, false, 24,
			"11 USPS webhooks in the last 24 h (other carriers' still arrive) while it delivered ~48 at these hours over the past 7 days (22%)"},
		{"2 an hour, 12 in 24 h", flow(2, append(zeros(12), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)...), false, 10, false, false, false, 24, ""},
		// 1 an hour: a stop over 12 h (median 12), no trickle.
		{"1 an hour, 12 h silent", flow(1, zeros(12)...), false, 10, true, true, false, 12, stop12of1},
		{"1 an hour, 11 h silent", flow(1, zeros(11)...), false, 10, false, false, false, 12, ""},
		{"1 an hour, an ordinary day", flow(1, ordinary...), false, 10, false, false, false, 12, ""},
		{"1 an hour, 2 in 24 h but not 12 h silent: no trickle judged", flow(1, append(append(zeros(11), 1, 0, 0, 0, 0), append(zeros(7), 1)...)...),
			false, 10, false, false, false, 12, ""},
		{"1 an hour, 12 h silent, the source empty for 3 h", quietSource, false, 10, false, false, false, 12, ""},
		{"1 an hour, 12 h silent, the source's others one every 3 h", sparseSource, false, 10, true, true, false, 12, stop12of1},
		{"1 an hour, 12 h silent, nothing the same hours a week before", withDay(flow(1, zeros(12)...), 6, 0), false, 10, false, false, false, 12, ""},
		{"1 an hour, 12 h silent, 9 parcels in flight", flow(1, zeros(12)...), false, 9, true, false, false, 12, ""},
		{"1 an hour, 12 h silent, parcels not counted yet", flow(1, zeros(12)...), false, -1, true, false, false, 12, ""},
		{"1 an hour, three odd days do not move the median", withDay(withDay(withDay(flow(1, zeros(12)...), 0, 0), 2, 5), 4, 0), false, 10, true, true, false, 12, stop12of1},
		// Too small to judge: 11 in 24 h (median 11), every hour silent.
		{"11 in 24 h, a day silent", func() source.CarrierFlow {
			f := flow(0, zeros(24)...)
			for d := range f.Baseline {
				for h := 0; h < 22; h += 2 {
					f.Baseline[d][h] = 1
				}
			}
			return f
		}(), false, 10, false, false, false, 0, ""},
		// Recovery: half the median of each window judged.
		{"held, 1 an hour, 5 in 12 h", flow(1, append(zeros(7), 1, 1, 1, 1, 1)...), true, 0, false, false, false, 12, ""},
		{"held, 1 an hour, 6 in 12 h", flow(1, append(zeros(6), 1, 1, 1, 1, 1, 1)...), true, 0, false, false, true, 12, ""},
		{"held, 2 an hour, back for 3 h: 6 in 6 h, 6 in 24 h", flow(2, append(zeros(21), 2, 2, 2)...), true, 0, false, false, false, 6, ""},
		{"held, 2 an hour, back for 12 h: 24 in 24 h", flow(2, append(zeros(12), 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)...), true, 0, false, false, true, 6, ""},
		{"held, 20 an hour, 29 in 3 h", flow(20, 10, 10, 9), true, 0, false, false, false, 3, ""},
		{"held, 20 an hour, 30 in 3 h", flow(20, 10, 10, 10), true, 0, false, false, true, 3, ""},
		{"held, the median under 12 in every window", flow(0, zeros(24)...), true, 0, false, false, true, 0, ""},
	} {
		tc.f.Held = tc.held
		v := tc.f.Judge(tc.open)
		if v.Suspect != tc.suspect || v.Abnormal != tc.marked || v.Recovered != tc.recovered || v.Reason != tc.reason ||
			(tc.reason != "" && v.Hours != tc.hours) {
			t.Errorf("%s: Judge(%d) = suspect %v, abnormal %v, recovered %v, %d h, %q; want %v, %v, %v, %d h, %q", tc.name, tc.open,
				v.Suspect, v.Abnormal, v.Recovered, v.Hours, v.Reason, tc.suspect, tc.marked, tc.recovered, tc.hours, tc.reason)
		}
	}
}

// A carrier at 1 an hour that stops is held after 12 silent hours, not
// before, whatever the hour of the day; once back at 1 an hour it is held
// until 6 of its last 12 hours brought a delivery, then let go.
func TestCarrierJudgeSmallCarrierStops(t *testing.T) {
	for silent := 0; silent <= source.CarrierSpan; silent++ {
		v := flow(1, zeros(silent)...).Judge(10)
		if want := silent >= 12; v.Abnormal != want {
			t.Errorf("1 an hour, %d h silent: abnormal %v, want %v", silent, v.Abnormal, want)
		}
	}
	for back := 0; back <= 12; back++ {
		last := zeros(24)
		for h := 24 - back; h < 24; h++ {
			last[h] = 1
		}
		f := flow(1, last...)
		f.Held = true
		if v := f.Judge(0); v.Recovered != (back >= 6) {
			t.Errorf("held, back at 1 an hour for %d h: recovered %v, want %v", back, v.Recovered, back >= 6)
		}
	}
}

// NeedsWeek lets through, on the last hours and the week before alone,
// exactly the flows Judge could mark or must recover.
func TestCarrierNeedsWeek(t *testing.T) {
	weekOnly := func(f source.CarrierFlow) source.CarrierFlow {
		f.Baseline = slices.Clone(f.Baseline)
		for d := range source.SilenceBaselineDays - 1 {
			f.Baseline[d] = nil
		}
		return f
	}
	notSending := flow(20, 0, 0, 0)
	notSending.Source[source.CarrierSpan-2] = 0
	for _, tc := range []struct {
		name string
		f    source.CarrierFlow
		held bool
		want bool
	}{
		{"held", flow(20), true, true},
		{"20 an hour, as usual", flow(20), false, false},
		{"20 an hour, 14 in 3 h", flow(20, 5, 5, 4), false, true},
		{"20 an hour, 15 in 3 h", flow(20, 5, 5, 5), false, false},
		{"1 an hour, 12 h silent", flow(1, zeros(12)...), false, true},
		{"1 an hour, 5 in 24 h", flow(1, append([]int{1, 1, 1, 1, 1}, zeros(19)...)...), false, true},
		{"1 an hour, 6 in 24 h (and 0 in 3 h against 3)", flow(1, append([]int{1, 1, 1, 1, 1, 1}, zeros(18)...)...), false, true},
		{"1 an hour, 6 in 24 h, spread out (1 in 3 h, 2 in 6, 3 in 12)", flow(1, append(append([]int{1, 1, 1}, zeros(14)...), 1, 0, 0, 1, 0, 0, 1)...), false, false},
		{"silent, the source not sending", notSending, false, false},
		{"silent, nothing a week before", withDay(flow(20, zeros(24)...), 6, 0), false, false},
	} {
		f := weekOnly(tc.f)
		f.Held = tc.held
		if got := f.NeedsWeek(); got != tc.want {
			t.Errorf("%s: NeedsWeek() = %v, want %v", tc.name, got, tc.want)
		}
		// Whatever the other days, a flow NeedsWeek lets go is not marked.
		if !tc.want && !tc.held {
			for _, m := range []int{0, 1, 2, 4, 10, 20, 120} {
				full := slices.Clone(f.Baseline)
				for d := range source.SilenceBaselineDays - 1 {
					full[d] = flow(m).Baseline[0]
				}
				g := f
				g.Baseline = full
				if v := g.Judge(10); v.Suspect {
					t.Errorf("%s: let go by NeedsWeek, but Judge marks it with %d an hour on the other days", tc.name, m)
				}
			}
		}
	}
}

// CarrierHours: the last 24 whole hours and the same hours of each of the
// 7 days before, adjacent, the oldest still within the hours kept.
func TestCarrierHours(t *testing.T) {
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	recent, baseline := source.CarrierHours(now)
	at := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, time.UTC) }
	if want := (source.Window{From: at(9, 14), To: at(10, 14)}); recent != want {
		t.Errorf("CarrierHours() recent = %v, want %v", recent, want)
	}
	if len(baseline) != source.SilenceBaselineDays {
		t.Fatalf("CarrierHours() gave %d baseline windows, want %d", len(baseline), source.SilenceBaselineDays)
	}
	for d, w := range baseline {
		if want := (source.Window{From: at(8-d, 14), To: at(9-d, 14)}); w != want {
			t.Errorf("baseline[%d] = %v, want %v", d, w, want)
		}
	}
	// The retention (the sweep deletes the hours before now minus
	// DeliveryHoursKept) keeps the oldest hour read.
	if oldest := baseline[source.SilenceBaselineDays-1].From; oldest.Before(now.Add(-source.DeliveryHoursKept)) {
		t.Errorf("the oldest hour read, %v, is past the retention of %v", oldest, source.DeliveryHoursKept)
	}
}

// A flow whose baseline days are read for their last 3 hours only is
// judged as on its whole days unless NeedsWholeDays says otherwise: a
// carrier whose 3-hour median reaches 30 (10 an hour or more) is judged
// over 3 hours for both a stop and a trickle.
func TestCarrierNeedsWholeDays(t *testing.T) {
	for _, rate := range []int{0, 1, 2, 4, 9, 10, 20} {
		for _, last := range [][]int{nil, zeros(3), zeros(12), {1, 1, 1}, {5, 5, 4}, {7, 7, 6}} {
			for _, held := range []bool{false, true} {
				full := flow(rate, last...)
				full.Held = held
				part := full
				part.Baseline = slices.Clone(full.Baseline)
				for d := range source.SilenceBaselineDays - 1 {
					day := make([]int, source.CarrierSpan)
					copy(day[source.CarrierSpan-3:], full.Baseline[d][source.CarrierSpan-3:])
					part.Baseline[d] = day
				}
				if want := rate < 10; part.NeedsWholeDays() != want {
					t.Errorf("%d an hour: NeedsWholeDays() = %v, want %v", rate, !want, want)
				}
				if !part.NeedsWholeDays() && part.Judge(10) != full.Judge(10) {
					t.Errorf("%d an hour, last %v, held %v: Judge on the last 3 hours %+v, on whole days %+v",
						rate, last, held, part.Judge(10), full.Judge(10))
				}
			}
		}
	}
}
