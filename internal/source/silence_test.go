package source_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

func TestSilentHours(t *testing.T) {
	last := time.Date(2026, time.March, 10, 11, 10, 0, 0, time.UTC)
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	silent, baseline := source.SilentHours(last, now)
	if want := (source.Window{From: last.Truncate(time.Hour).Add(time.Hour), To: now.Truncate(time.Hour)}); silent != want {
		t.Errorf("SilentHours() silent = %v, want %v", silent, want)
	}
	if len(baseline) != source.SilenceBaselineDays {
		t.Fatalf("SilentHours() gave %d baseline windows, want %d", len(baseline), source.SilenceBaselineDays)
	}
	for d, w := range baseline {
		back := time.Duration(d+1) * 24 * time.Hour
		if w.From != silent.From.Add(-back) || w.To != silent.To.Add(-back) {
			t.Errorf("baseline[%d] = %v, want the silent hours %v earlier", d, w, back)
		}
	}
	// Within one clock hour there is no whole hour to compare.
	if s, _ := source.SilentHours(now.Add(-10*time.Minute), now); s.To != s.From {
		t.Errorf("SilentHours(10 min) = %v, want an empty window", s)
	}
}

func TestQuietJudge(t *testing.T) {
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	busy := []int{40, 40, 40, 40, 40, 40, 40} // 2 whole silent hours at 20 an hour
	for _, tc := range []struct {
		name     string
		silent   time.Duration
		baseline []int
		open     int
		suspect  bool
		abnormal bool
		reason   string
	}{
		{"busy source, 3 h 10 min", 3*time.Hour + 10*time.Minute, busy, 10, true, true,
			"no webhook for 3 h 10 min while it delivered ~20 an hour at these hours over the past 7 days"},
		{"open not counted yet", 3*time.Hour + 10*time.Minute, busy, -1, true, false, ""},
		{"under 3 hours", 2*time.Hour + 59*time.Minute, busy, 10, false, false, ""},
		{"quiet hours (night, small seller)", 3*time.Hour + 10*time.Minute, []int{5, 6, 4, 5, 7, 5, 6}, 10, false, false, ""},
		{"few parcels in flight", 3*time.Hour + 10*time.Minute, busy, 9, true, false, ""},
		{"three odd days do not move the median", 3*time.Hour + 10*time.Minute, []int{0, 40, 0, 40, 0, 40, 40}, 10, true, true,
			"no webhook for 3 h 10 min while it delivered ~20 an hour at these hours over the past 7 days"},
		{"four quiet days (a new source) do", 3*time.Hour + 10*time.Minute, []int{40, 40, 40, 0, 0, 0, 0}, 10, false, false, ""},
		{"empty the same hours a week before (weekly rhythm)", 3*time.Hour + 10*time.Minute, []int{40, 40, 40, 40, 40, 40, 0}, 10, false, false, ""},
		{"whole hours, no minutes", 5 * time.Hour, []int{80, 80, 80, 80, 80, 80, 80}, 50, true, true,
			"no webhook for 5 h while it delivered ~20 an hour at these hours over the past 7 days"},
	} {
		q := source.Quiet{LastDeliveryAt: now.Add(-tc.silent), Baseline: tc.baseline}
		v := q.Judge(now, tc.open)
		if v.Suspect != tc.suspect || v.Abnormal != tc.abnormal || v.Reason != tc.reason {
			t.Errorf("%s: Judge() = %+v, want suspect %v, abnormal %v, reason %q", tc.name, v, tc.suspect, tc.abnormal, tc.reason)
		}
	}
}

// Judge never reorders the caller's counts (it sorts a copy).
func TestQuietJudgeKeepsBaseline(t *testing.T) {
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	base := []int{9, 1, 40, 3, 40, 40, 40}
	q := source.Quiet{LastDeliveryAt: now.Add(-4 * time.Hour), Baseline: slices.Clone(base)}
	q.Judge(now, 10)
	if !slices.Equal(q.Baseline, base) {
		t.Errorf("Baseline after Judge = %v, want %v", q.Baseline, base)
	}
}
