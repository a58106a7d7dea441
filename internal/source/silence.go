package source

import (
	"fmt"
	"slices"
	"time"
)

// A webhook source is only heard from: a provider's outage, a webhook it
// disabled after failed retries, or a URL changed by mistake are all
// silence. Silence is abnormal when the same clock hours of the week
// before were busy and are now empty (docs/carriers.md, Silent webhook
// sources):
//
//   - the source has been silent for at least SilenceMin;
//   - in the same whole clock hours of each of the SilenceBaselineDays
//     days before, the median of its deliveries is at least
//     SilenceExpected, and the same hours one week before were not empty;
//   - the seller has at least SilenceOpenShipments open shipments that
//     should be receiving scans by webhook.
//
// Comparing with the same clock hours keeps the night from being judged
// by the day: a source quiet at night is expected to be quiet at night.
// The median ignores up to three unusual days; the week-before condition
// keeps a weekly rhythm (no Sunday pickups) from raising an alarm. Were
// deliveries a Poisson stream with the median as its mean, SilenceExpected
// deliveries expected and none received would happen by chance with
// probability e^-12, about 6 in a million.
const (
	// SilenceMin is the shortest silence judged: shorter gaps are a
	// provider's batching or a deploy.
	SilenceMin = 3 * time.Hour
	// SilenceBaselineDays is how many days before the silence are compared.
	SilenceBaselineDays = 7
	// SilenceExpected is the median of those days' deliveries, in the
	// silent clock hours, from which silence is abnormal.
	SilenceExpected = 12
	// SilenceOpenShipments is how many open shipments awaiting webhook
	// scans the seller must have: a seller with few parcels in flight may
	// go quiet because nothing is moving.
	SilenceOpenShipments = 10
	// SilenceScanWindow: an open shipment is awaiting scans when it
	// shipped, or last moved, within this window; older ones are lost or
	// forgotten, not a reason to expect webhooks.
	SilenceScanWindow = 14 * 24 * time.Hour
	// SilenceJudgedFor is how long after its last delivery a silence is
	// judged: past it, the baseline days overlap the silence itself.
	SilenceJudgedFor = 48 * time.Hour
	// DeliveryHoursKept is how long the hourly delivery counts are kept:
	// the baseline days before the longest silence judged.
	DeliveryHoursKept = SilenceBaselineDays*24*time.Hour + SilenceJudgedFor
)

// Window is a range of whole clock hours, [From, To).
type Window struct{ From, To time.Time }

// SilentHours returns the whole clock hours (UTC) of a silence that began
// at last and lasts until now, and the same hours each of the
// SilenceBaselineDays days before (baseline[0] one day before). The hour
// of the last delivery and the current hour are not whole: they are left
// out, so the comparison never counts a partial hour against a full one.
func SilentHours(last, now time.Time) (silent Window, baseline []Window) {
	silent = Window{From: last.UTC().Truncate(time.Hour).Add(time.Hour), To: now.UTC().Truncate(time.Hour)}
	if !silent.To.After(silent.From) {
		silent.To = silent.From
	}
	for d := 1; d <= SilenceBaselineDays; d++ {
		back := time.Duration(d) * 24 * time.Hour
		baseline = append(baseline, Window{From: silent.From.Add(-back), To: silent.To.Add(-back)})
	}
	return silent, baseline
}

// Quiet is what the silence check knows of one webhook source that has
// not delivered for a while.
type Quiet struct {
	SellerID, SourceID, Provider string
	// LastDeliveryAt is its last usable delivery.
	LastDeliveryAt time.Time
	// Baseline holds its deliveries in the baseline windows of
	// SilentHours, one day before first.
	Baseline []int
}

// Silence is a verdict of the silence check.
type Silence struct {
	// Suspect: the deliveries say the silence is abnormal; the seller's
	// open shipments decide whether it is.
	Suspect bool
	// Abnormal: the source is to be marked degraded, for Reason.
	Abnormal bool
	// Expected is the median of the baseline days; PerHour is that median
	// per silent hour.
	Expected, PerHour int
	Reason            string
}

// Judge decides whether q's silence at now is abnormal. open is the
// number of the seller's open shipments awaiting webhook scans (counted
// up to SilenceOpenShipments), or -1 when not counted: the verdict is then
// at most Suspect, and worth counting for.
func (q Quiet) Judge(now time.Time, open int) Silence {
	gap := now.Sub(q.LastDeliveryAt)
	silent, _ := SilentHours(q.LastDeliveryAt, now)
	hours := int(silent.To.Sub(silent.From) / time.Hour)
	if gap < SilenceMin || hours == 0 || len(q.Baseline) < SilenceBaselineDays {
		return Silence{}
	}
	sorted := slices.Clone(q.Baseline[:SilenceBaselineDays])
	slices.Sort(sorted)
	v := Silence{Expected: sorted[SilenceBaselineDays/2]}
	v.PerHour = max(1, (v.Expected+hours/2)/hours)
	weekBefore := q.Baseline[SilenceBaselineDays-1]
	v.Suspect = v.Expected >= SilenceExpected && weekBefore > 0
	if !v.Suspect || open < SilenceOpenShipments {
		return v
	}
	v.Abnormal = true
	v.Reason = fmt.Sprintf("no webhook for %s while it delivered ~%d an hour at these hours over the past %d days",
		roundGap(gap), v.PerHour, SilenceBaselineDays)
	return v
}

// roundGap writes a silence for the seller: hours, and minutes under a day.
func roundGap(d time.Duration) string {
	d = d.Truncate(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h >= 24 || m == 0:
		return fmt.Sprintf("%d h", h)
	default:
		return fmt.Sprintf("%d h %d min", h, m)
	}
}
