package health

import (
	"math"
	"sort"
	"time"

	"github.com/shipwatch/shipwatch/internal/store"
)

// The sample of the seller's own first-scan delays (store.ScanDelays): the
// latest scanDelaySample numbers received between scanDelayFrom and
// scanDelaySettled days ago, so each had at least scanDelaySettled days to
// be scanned. Fewer than scanDelayMin numbers fall back to the fixed rule
// (scanGraceDays).
const (
	scanDelaySample  = 1000
	scanDelayMin     = 50
	scanDelaySettled = 7
	scanDelayFrom    = 67
)

// scanDelays is the seller's delays from a number to its first scan,
// sorted, and how many numbers of the sample were never scanned.
type scanDelays struct {
	scanned []time.Duration
	never   int
}

func newScanDelays(ds []*time.Duration) *scanDelays {
	s := &scanDelays{}
	for _, d := range ds {
		if d == nil {
			s.never++
			continue
		}
		s.scanned = append(s.scanned, *d)
	}
	sort.Slice(s.scanned, func(i, j int) bool { return s.scanned[i] < s.scanned[j] })
	return s
}

// chance is the chance that a number without a scan age after it arrived
// gets its first scan by age+within (within < 0: at all), learned from the
// numbers of the sample that were still without a scan at that age: the
// share of them scanned in that time. A single pseudo-number, scanned with
// chance 1/2, keeps it off 0 and 1 and decides it when no number of the
// sample ever waited that long. ok is false when the sample is too small
// to learn from.
func (s *scanDelays) chance(age, within time.Duration) (float64, bool) {
	if s == nil || len(s.scanned)+s.never < scanDelayMin {
		return 0, false
	}
	// Numbers scanned after age: those still waiting at age.
	first := sort.Search(len(s.scanned), func(i int) bool { return s.scanned[i] > age })
	waiting := len(s.scanned) - first + s.never
	scanned := len(s.scanned) - first
	if within >= 0 {
		scanned = sort.Search(len(s.scanned), func(i int) bool { return s.scanned[i] > age+within }) - first
	}
	return (float64(scanned) + 0.5) / (float64(waiting) + 1), true
}

// scanChance is the chance that sh's number gets its first scan by
// deadline (nil: at all): none for a number that fails the check; else
// learned from the seller's own delays (scanDelays.chance) at the number's
// age; without enough of them, the fixed rule: base, halving with each day
// past scanGraceDays since the number was received.
func (in *outcomeInputs) scanChance(sh *store.Shipment, base float64, deadline *time.Time) float64 {
	if !sh.TrackingValid {
		return 0
	}
	since := sh.CreatedAt
	if sh.TrackingReceivedAt != nil {
		since = *sh.TrackingReceivedAt
	}
	age := max(in.now.Sub(since), 0)
	within := time.Duration(-1)
	if deadline != nil {
		within = max(deadline.Sub(in.now), 0)
	}
	if p, ok := in.scans.chance(age, within); ok {
		return p
	}
	late := math.Floor(age.Hours()/24) - scanGraceDays
	if late <= 0 {
		return base
	}
	return base * math.Pow(0.5, late)
}
