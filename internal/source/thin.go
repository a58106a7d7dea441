package source

import (
	"fmt"
	"slices"
	"time"
)

// A webhook source can fail without going silent: the provider still
// sends a trickle (one carrier's events, one region's, a retry queue
// draining slowly) and every delivery would count as news to the silence
// check. The flow check compares the last ThinWindow of whole clock hours
// with the same hours of each of the SilenceBaselineDays days before
// (docs/carriers.md, Thinned webhook sources). The flow is thinned when:
//
//   - the source is still sending: every one of those hours brought a
//     delivery. A whole hour with nothing is a gap, the silence check's to
//     judge after SilenceMin, so a provider that batches for an hour or
//     two, or a source just back from a silence, is not taken for a
//     thinned one;
//   - the median of those days' deliveries in these hours is at least
//     ThinExpected (a small seller, or the night, is never judged);
//   - the last hours brought fewer than ThinFraction of that median and
//     fewer than ThinFraction of the same hours exactly one week before
//     (a weekly rhythm, quiet Sundays, is not an outage);
//   - the seller has at least SilenceOpenShipments open shipments that
//     should be receiving scans by webhook.
//
// A thinned source is held like a silent one, but a delivery does not
// recover it (a trickle is what it already has): it recovers when the
// last hours are back to ThinRecovered of the median, or when the
// median no longer reaches ThinExpected.
//
// Were deliveries a Poisson stream with the median as mean, a median of
// 30 and at most 7 received would happen by chance with probability
// about 5 in a million; a real day varies more than Poisson, which is
// why the bar is a quarter of the median, not a few standard deviations.
const (
	// ThinWindow is how many of the last whole clock hours are compared.
	ThinWindow = 3 * time.Hour
	// ThinExpected is the median of the baseline days' deliveries in
	// those hours from which a thinned flow is judged: 10 an hour over 3.
	ThinExpected = 30
	// ThinFraction: fewer deliveries than this share of the median (and
	// of a week before) is a partial outage. An ordinary slow day runs at
	// half the usual rate or more.
	ThinFraction = 0.25
	// ThinRecovered: a thinned source recovers when its last hours are
	// back to this share of the median. Between ThinFraction and it, a
	// thinned source stays thinned and a working one stays working.
	ThinRecovered = 0.5
)

// FlowHours returns the last ThinWindow of whole clock hours (UTC) before
// now, one window an hour, oldest first, and the same hours as one window
// on each of the SilenceBaselineDays days before (baseline[0] one day
// before). The current hour is partial and left out.
func FlowHours(now time.Time) (recent []Window, baseline []Window) {
	to := now.UTC().Truncate(time.Hour)
	from := to.Add(-ThinWindow)
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		recent = append(recent, Window{From: h, To: h.Add(time.Hour)})
	}
	for d := 1; d <= SilenceBaselineDays; d++ {
		back := time.Duration(d) * 24 * time.Hour
		baseline = append(baseline, Window{From: from.Add(-back), To: to.Add(-back)})
	}
	return recent, baseline
}

// Flow is what the flow check knows of one live webhook source.
type Flow struct {
	SellerID, SourceID, Provider string
	// Thinned: the source is degraded by this check now.
	Thinned bool
	// Recent is its deliveries in each hour of the recent window of
	// FlowHours, oldest first; Baseline in each baseline window, one day
	// before first.
	Recent   []int
	Baseline []int
}

// Thinning is a verdict of the flow check.
type Thinning struct {
	// Suspect: the deliveries say the flow is thinned; the seller's open
	// shipments decide whether to mark it.
	Suspect bool
	// Abnormal: a working source is to be marked degraded, for Reason.
	Abnormal bool
	// Recovered: a thinned source is to be marked working again.
	Recovered bool
	// Expected is the median of the baseline days over the Hours judged:
	// the last whole clock hours (ThinWindow for a source; for a carrier,
	// the window of CarrierWindows its volume needs).
	Expected, Hours int
	Reason          string
}

// Judge decides the flow of f. open is the number of the seller's open
// shipments awaiting webhook scans (counted up to SilenceOpenShipments),
// or -1 when not counted: the verdict of a working source is then at most
// Suspect. A thinned source's recovery needs no count.
func (f Flow) Judge(open int) Thinning {
	if len(f.Baseline) < SilenceBaselineDays || len(f.Recent) == 0 {
		return Thinning{}
	}
	sorted := slices.Clone(f.Baseline[:SilenceBaselineDays])
	slices.Sort(sorted)
	v := Thinning{Expected: sorted[SilenceBaselineDays/2], Hours: int(ThinWindow / time.Hour)}
	busy := v.Expected >= ThinExpected
	got, sending := f.recent(), !slices.Contains(f.Recent, 0)
	if f.Thinned {
		v.Recovered = !busy || float64(got) >= ThinRecovered*float64(v.Expected)
		return v
	}
	weekBefore := f.Baseline[SilenceBaselineDays-1]
	v.Suspect = busy && sending && float64(got) < ThinFraction*float64(v.Expected) &&
		float64(got) < ThinFraction*float64(weekBefore)
	if !v.Suspect || open < SilenceOpenShipments {
		return v
	}
	v.Abnormal = true
	v.Reason = fmt.Sprintf("%d webhooks in the last %d h while it delivered ~%d at these hours over the past %d days (%d%%)",
		got, v.Hours, v.Expected, SilenceBaselineDays, got*100/v.Expected)
	return v
}

// NeedsWeek says whether f, whose recent hours and same hours a week
// before (Baseline's last) alone are known, must have its whole week read
// before it is judged: it is held (its recovery is judged on the median),
// or its last hours are under ThinFraction of a week before. Any other
// flow cannot be thinned, whatever the other days say.
func (f Flow) NeedsWeek() bool {
	if len(f.Baseline) < SilenceBaselineDays {
		return true
	}
	return f.Thinned || float64(f.recent()) < ThinFraction*float64(f.Baseline[SilenceBaselineDays-1])
}

func (f Flow) recent() int {
	n := 0
	for _, c := range f.Recent {
		n += c
	}
	return n
}
