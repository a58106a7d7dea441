package source

import (
	"fmt"
	"slices"
	"time"
)

// An aggregator often fails for one carrier only: its USPS feed stops
// while UPS keeps flowing, and the source's total stays above the silence
// and flow checks' bars. The carrier check judges each carrier's flow
// through a working webhook source over the same hours as the flow check
// (FlowHours: the last ThinWindow of whole clock hours against the same
// hours of each of the SilenceBaselineDays days before), and holds the
// no-news rules only for that carrier's shipments (docs/carriers.md,
// Carriers behind a webhook source). A carrier's flow is failing when:
//
//   - the source is still sending: every one of those hours brought a
//     delivery of some carrier. A source with an empty hour is the silence
//     check's; a provider that batches delays every carrier at once;
//   - the carrier brought nothing in those hours and the median of the
//     baseline days is at least CarrierSilentExpected (as for a silent
//     source: e^-12 by chance), or it brought a trickle and the median is
//     at least CarrierThinExpected (as for a thinned source);
//   - in both cases, fewer than ThinFraction of that median and of the
//     same hours exactly one week before (a weekly rhythm is not an
//     outage; a carrier new to the source is never judged);
//   - the seller has at least CarrierOpenShipments open shipments of that
//     carrier awaiting scans by webhook.
//
// A held carrier recovers when its last hours are back to ThinRecovered of
// the median, or when the median falls under CarrierSilentExpected.
const (
	// CarrierSilentExpected is the median from which a carrier that brought
	// nothing for ThinWindow is judged: the silence check's bar.
	CarrierSilentExpected = SilenceExpected
	// CarrierThinExpected is the median from which a carrier that still
	// brings a trickle is judged: the flow check's bar.
	CarrierThinExpected = ThinExpected
	// CarrierOpenShipments is how many of the carrier's open shipments
	// awaiting webhook scans the seller must have.
	CarrierOpenShipments = SilenceOpenShipments
)

// CarrierFlow is what the carrier check knows of one carrier's deliveries
// through one live webhook source.
type CarrierFlow struct {
	SellerID, SourceID, Provider string
	// Carrier is the carrier as the rules name it ("USPS").
	Carrier string
	// Held: the carrier check holds this carrier of the source now.
	Held bool
	// Sending: the source brought a delivery in every recent hour.
	Sending bool
	// Recent is the carrier's deliveries in each hour of the recent window
	// of FlowHours, oldest first; Baseline in each baseline window, one day
	// before first (only the last, a week before, until the whole week is
	// read).
	Recent   []int
	Baseline []int
}

// Judge decides f's flow. open is the number of the seller's open
// shipments of f's carrier awaiting webhook scans (counted up to
// CarrierOpenShipments), or -1 when not counted: the verdict of a carrier
// not held is then at most Suspect. A held carrier's recovery needs no
// count.
func (f CarrierFlow) Judge(open int) Thinning {
	if len(f.Baseline) < SilenceBaselineDays || len(f.Recent) == 0 {
		return Thinning{}
	}
	sorted := slices.Clone(f.Baseline[:SilenceBaselineDays])
	slices.Sort(sorted)
	v := Thinning{Expected: sorted[SilenceBaselineDays/2]}
	got := sum(f.Recent)
	if f.Held {
		v.Recovered = v.Expected < CarrierSilentExpected || float64(got) >= ThinRecovered*float64(v.Expected)
		return v
	}
	bar := CarrierThinExpected
	if got == 0 {
		bar = CarrierSilentExpected
	}
	weekBefore := f.Baseline[SilenceBaselineDays-1]
	v.Suspect = f.Sending && v.Expected >= bar && float64(got) < ThinFraction*float64(v.Expected) &&
		float64(got) < ThinFraction*float64(weekBefore)
	if !v.Suspect || open < CarrierOpenShipments {
		return v
	}
	v.Abnormal = true
	hours := int(ThinWindow / time.Hour)
	if got == 0 {
		v.Reason = fmt.Sprintf("no %s webhooks in the last %d h (other carriers' still arrive) while it delivered ~%d at these hours over the past %d days",
			f.Carrier, hours, v.Expected, SilenceBaselineDays)
		return v
	}
	v.Reason = fmt.Sprintf("%d %s webhooks in the last %d h (other carriers' still arrive) while it delivered ~%d at these hours over the past %d days (%d%%)",
		got, f.Carrier, hours, v.Expected, SilenceBaselineDays, got*100/v.Expected)
	return v
}

// NeedsWeek says whether f, whose recent hours and same hours a week
// before alone are known, must have its whole week read before it is
// judged: it is held, or it could be failing (the source is sending and
// the carrier's last hours are under ThinFraction of a week before).
func (f CarrierFlow) NeedsWeek() bool {
	if f.Held {
		return true
	}
	if len(f.Baseline) < SilenceBaselineDays {
		return f.Sending
	}
	return f.Sending && float64(sum(f.Recent)) < ThinFraction*float64(f.Baseline[SilenceBaselineDays-1])
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
