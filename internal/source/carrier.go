package source

import (
	"fmt"
	"slices"
	"time"
)

// An aggregator often fails for one carrier only: its USPS feed stops
// while UPS keeps flowing, and the source's total stays above the silence
// and flow checks' bars. The carrier check judges each carrier's flow
// through a working webhook source over the last whole clock hours
// against the same hours of each of the SilenceBaselineDays days before
// (CarrierHours), and holds the no-news rules only for that carrier's
// shipments (docs/carriers.md, Carriers behind a webhook source).
//
// The window is the shortest of CarrierWindows whose median over the
// baseline days reaches the bar: 3 hours for a carrier at 4 an hour or
// more, up to 24 hours for one at half an hour, so that a small seller's
// carrier is judged with the same chance of a false alarm as a busy one,
// only later. A carrier's flow is failing when, over its window:
//
//   - the source is still sending: each quarter of the window (each hour
//     of a 3-hour one, each 2 hours of a 6-hour one) brought a delivery of
//     some carrier. A source with an empty stretch is the silence check's;
//     a provider that batches delays every carrier at once;
//   - the carrier brought nothing and the median of the baseline days is
//     at least CarrierSilentExpected (as for a silent source: e^-12 by
//     chance), over the shortest window whose median reaches it; or it
//     brought a trickle and the median is at least CarrierThinExpected (as
//     for a thinned source), over the shortest window whose median reaches
//     that;
//   - in both cases, fewer than ThinFraction of that median and of the
//     same hours exactly one week before (a weekly rhythm is not an
//     outage; a carrier new to the source is never judged);
//   - the seller has at least CarrierOpenShipments open shipments of that
//     carrier awaiting scans by webhook.
//
// A held carrier recovers when, in each window it is judged on (the stop's
// and the trickle's), its deliveries are back to ThinRecovered of the
// median, or when no window's median reaches CarrierSilentExpected.
const (
	// CarrierSilentExpected is the median from which a carrier that brought
	// nothing for its window is judged: the silence check's bar.
	CarrierSilentExpected = SilenceExpected
	// CarrierThinExpected is the median from which a carrier that still
	// brings a trickle is judged: the flow check's bar.
	CarrierThinExpected = ThinExpected
	// CarrierOpenShipments is how many of the carrier's open shipments
	// awaiting webhook scans the seller must have.
	CarrierOpenShipments = SilenceOpenShipments
	// CarrierSpan is the longest window, in whole clock hours: the recent
	// hours the check reads. A carrier whose median over it is under
	// CarrierSilentExpected (under one delivery every two hours) is not
	// judged.
	CarrierSpan = 24
)

// CarrierWindows are the windows, in whole clock hours up to the current
// one, a carrier's flow may be judged over, shortest first: each twice the
// one before, so the expected count doubles from one to the next.
var CarrierWindows = []int{3, 6, 12, CarrierSpan}

// CarrierHours returns the last CarrierSpan whole clock hours (UTC) before
// now, as one window, and the same hours as one window on each of the
// SilenceBaselineDays days before (baseline[0] one day before). The
// current hour is partial and left out. Each day's window ends where the
// day after's begins: together they are the 8 days before the current
// hour, within DeliveryHoursKept.
func CarrierHours(now time.Time) (recent Window, baseline []Window) {
	to := now.UTC().Truncate(time.Hour)
	recent = Window{From: to.Add(-CarrierSpan * time.Hour), To: to}
	for d := 1; d <= SilenceBaselineDays; d++ {
		back := time.Duration(d) * 24 * time.Hour
		baseline = append(baseline, Window{From: recent.From.Add(-back), To: recent.To.Add(-back)})
	}
	return recent, baseline
}

// CarrierFlow is what the carrier check knows of one carrier's deliveries
// through one live webhook source.
type CarrierFlow struct {
	SellerID, SourceID, Provider string
	// Carrier is the carrier as the rules name it ("USPS").
	Carrier string
	// Held: the carrier check holds this carrier of the source now.
	Held bool
	// Recent is the carrier's deliveries in each of the last CarrierSpan
	// whole clock hours, oldest first, and Source the source's deliveries
	// of every carrier in the same hours.
	Recent, Source []int
	// Baseline holds, for each of the SilenceBaselineDays days before (one
	// day before first), the carrier's deliveries in the same hours, hour
	// by hour; a day not read is nil (all but the last, a week before,
	// until the whole week is read).
	Baseline [][]int
}

// carrierWindow is what the last hours of a window say of a flow.
type carrierWindow struct {
	hours int
	// got is the carrier's deliveries in the window; median the median of
	// the baseline days' in the same hours, weekBefore a week before's.
	got, median, weekBefore int
	// sending: each quarter of the window brought a delivery of the source.
	sending bool
}

// window sums f's counts over the last hours of CarrierSpan. The median is
// 0 unless the whole week is read.
func (f CarrierFlow) window(hours int) carrierWindow {
	w := carrierWindow{hours: hours, got: sum(f.Recent[len(f.Recent)-hours:])}
	if wb := f.Baseline[SilenceBaselineDays-1]; wb != nil {
		w.weekBefore = sum(wb[len(wb)-hours:])
	}
	// Quarters of whole hours: 1-hour parts of a 3-hour window, 2 hours of
	// 6, 3 of 12, 6 of 24.
	part := (hours + 3) / 4
	w.sending = true
	src := f.Source[len(f.Source)-hours:]
	for lo := 0; lo < hours; lo += part {
		w.sending = w.sending && sum(src[lo:min(lo+part, hours)]) > 0
	}
	if !f.weekRead() {
		return w
	}
	days := make([]int, SilenceBaselineDays)
	for d, day := range f.Baseline {
		days[d] = sum(day[len(day)-hours:])
	}
	slices.Sort(days)
	w.median = days[SilenceBaselineDays/2]
	return w
}

// shortest returns the shortest window of f whose median reaches bar, and
// whether there is one.
func (f CarrierFlow) shortest(bar int) (carrierWindow, bool) {
	for _, h := range CarrierWindows {
		if w := f.window(h); w.median >= bar {
			return w, true
		}
	}
	return carrierWindow{}, false
}

func (f CarrierFlow) weekRead() bool {
	if len(f.Baseline) < SilenceBaselineDays {
		return false
	}
	for _, day := range f.Baseline {
		if len(day) < CarrierSpan {
			return false
		}
	}
	return true
}

// Judge decides f's flow. open is the number of the seller's open
// shipments of f's carrier awaiting webhook scans (counted up to
// CarrierOpenShipments), or -1 when not counted: the verdict of a carrier
// not held is then at most Suspect. A held carrier's recovery needs no
// count. The verdict's Hours is the window judged.
func (f CarrierFlow) Judge(open int) Thinning {
	if len(f.Recent) < CarrierSpan || len(f.Source) < CarrierSpan || !f.weekRead() {
		return Thinning{}
	}
	stop, judged := f.shortest(CarrierSilentExpected)
	if !judged {
		// Under one delivery every two hours: too few to judge, and a
		// held carrier is let go.
		return Thinning{Recovered: f.Held}
	}
	trickle, thin := f.shortest(CarrierThinExpected)
	if f.Held {
		v := Thinning{Expected: stop.median, Hours: stop.hours}
		v.Recovered = float64(stop.got) >= ThinRecovered*float64(stop.median) &&
			(!thin || float64(trickle.got) >= ThinRecovered*float64(trickle.median))
		return v
	}
	w := stop
	failing := stop.sending && stop.got == 0 && stop.weekBefore > 0
	if !failing && thin {
		w = trickle
		failing = trickle.sending && float64(trickle.got) < ThinFraction*float64(trickle.median) &&
			float64(trickle.got) < ThinFraction*float64(trickle.weekBefore)
	}
	v := Thinning{Expected: w.median, Hours: w.hours, Suspect: failing}
	if !v.Suspect || open < CarrierOpenShipments {
		return v
	}
	v.Abnormal = true
	if w.got == 0 {
		v.Reason = fmt.Sprintf("no %s webhooks in the last %d h (other carriers' still arrive) while it delivered ~%d at these hours over the past %d days",
			f.Carrier, w.hours, v.Expected, SilenceBaselineDays)
		return v
	}
	v.Reason = fmt.Sprintf("%d %s webhooks in the last %d h (other carriers' still arrive) while it delivered ~%d at these hours over the past %d days (%d%%)",
		w.got, f.Carrier, w.hours, v.Expected, SilenceBaselineDays, w.got*100/v.Expected)
	return v
}

// NeedsWholeDays says whether judging f, whose baseline days are read
// for the last CarrierWindows[0] hours only (zero before them), needs the
// rest of their hours: unless the median over those hours reaches
// CarrierThinExpected, in which case both windows are the shortest and
// Judge reads nothing else.
func (f CarrierFlow) NeedsWholeDays() bool {
	if !f.weekRead() {
		return true
	}
	w := f.window(CarrierWindows[0])
	return w.median < CarrierThinExpected
}

// NeedsWeek says whether f, whose recent hours and same hours a week
// before alone are known, must have its whole week read before it is
// judged: it is held, or it could be failing over one of CarrierWindows
// (the source is sending over it and the carrier's deliveries in it are
// under ThinFraction of a week before).
func (f CarrierFlow) NeedsWeek() bool {
	if f.Held {
		return true
	}
	if len(f.Recent) < CarrierSpan || len(f.Source) < CarrierSpan || len(f.Baseline) < SilenceBaselineDays {
		return false
	}
	for _, h := range CarrierWindows {
		if w := f.window(h); w.sending && float64(w.got) < ThinFraction*float64(w.weekBefore) {
			return true
		}
	}
	return false
}

func sum(cs []int) int {
	n := 0
	for _, c := range cs {
		n += c
	}
	return n
}

// CarrierHold is a carrier the carrier check holds for a webhook source.
type CarrierHold struct {
	SourceID       string    `db:"source_id"`
	Carrier        string    `db:"carrier"`
	DegradedSince  time.Time `db:"degraded_since"`
	DegradedReason string    `db:"degraded_reason"`
}
