package health

import (
	"time"

	"github.com/shipwatch/shipwatch/internal/store"
)

// SetClock sets the outlook watch's clock and the slack given to writes
// before a projection (tests only).
func (w *Watch) SetClock(now func() time.Time, slack time.Duration) { w.now, w.slack = now, slack }

// OpenOutcome is one open outcome of a projection: its shipment and the
// probability it counts in the numerator (tests only).
type OpenOutcome struct {
	Shipment *store.Shipment
	P        float64
}

// OpenOutcomes lists p's open outcomes (tests only).
func (p *Projection) OpenOutcomes() []OpenOutcome {
	out := make([]OpenOutcome, 0, len(p.outcomes))
	for _, o := range p.outcomes {
		if o.dispute == nil {
			out = append(out, OpenOutcome{Shipment: o.shipment, P: o.p})
		}
	}
	return out
}

// NewDirect returns a Service whose forecast reads as it did before the
// keys' bound and the lean read of open shipments: the baseline of
// BenchmarkHealthForecast and the reference of the tests comparing the
// two.
func NewDirect(st *store.Store) *Service { return &Service{store: st, direct: true} }

// KeptAt returns when the seller's kept reads were made: the open
// shipments' read (zero when none is kept) and each kept counts pass
// (tests only).
func (s *Service) KeptAt(sellerID string) (open time.Time, counts []time.Time) {
	s.kept.mu.Lock()
	defer s.kept.mu.Unlock()
	ks := s.kept.sellers[sellerID]
	if ks == nil {
		return time.Time{}, nil
	}
	if ks.open != nil {
		open = ks.open.now
	}
	for _, c := range ks.counts {
		counts = append(counts, c.At())
	}
	return open, counts
}
