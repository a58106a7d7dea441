package health

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// keptSellers is how many sellers' reads a Service keeps: the last ones
// forecast. A seller with 100,000 open shipments keeps about 75 MB of heap
// (make bench-outlook measures it).
const keptSellers = 4

// kept is what a Service keeps of its last forecasts' reads, per seller,
// for the next requests: the open shipments with what their delivery
// forecasts read (monitor.ForecastReads) and, per set of windows, the
// counts' pass (store.CountsKept), each with the Mark of the snapshot it
// was read in. A later request reads only the shipments written since
// that snapshot (store.ShipmentsChanged) and merges them in; a write the
// shipments' change marks cannot show (a deletion, a dispute, settings)
// makes it read afresh. The answers are the reads' exactly.
type kept struct {
	mu      sync.Mutex
	sellers map[string]*keptSeller
	tick    int64
}

type keptSeller struct {
	used int64
	open *keptOpen
	// counts is keyed by the queries' windows (the forecast's and each
	// queue's differ).
	counts map[string]*store.CountsKept
}

// keptOpen is a read of the open shipments, as of the snapshot of mark,
// at since and now. A later request with a since and a now not before
// them needs a subset of its rows, once the shipments written since are
// merged in: OpenShipments' condition applied again.
type keptOpen struct {
	mark       store.Mark
	since, now time.Time
	rows       []store.Shipment
	// forecasts is what the delivery forecasts of the rows due read (set
	// by the request that read it), for the later requests that forecast
	// some of them.
	forecasts atomic.Pointer[monitor.ForecastReads]
	// earlier is the forecasts' reads of an earlier read, and changed the
	// shipments written since them, when forecasts is not set yet:
	// monitor.ForecastReads.Follow brings them up to date.
	earlier *monitor.ForecastReads
	changed []store.Shipment
}

// followMax is how many written shipments the forecasts' reads of an
// earlier read are brought up to date with (when requests that forecast
// nothing follow each other); past it, the next forecast reads afresh.
const followMax = 20000

func (k *kept) seller(id string) *keptSeller {
	k.tick++
	ks := k.sellers[id]
	if ks == nil {
		if k.sellers == nil {
			k.sellers = map[string]*keptSeller{}
		}
		for len(k.sellers) >= keptSellers {
			var oldest string
			for sid, s := range k.sellers {
				if oldest == "" || s.used < k.sellers[oldest].used {
					oldest = sid
				}
			}
			delete(k.sellers, oldest)
		}
		ks = &keptSeller{counts: map[string]*store.CountsKept{}}
		k.sellers[id] = ks
	}
	ks.used = k.tick
	return ks
}

// openShipments returns the seller's open shipments as
// store.OpenShipments(since, now) would read them now: from the kept read
// with the shipments written since it merged in, otherwise by reading
// them; it keeps what it returns.
func (s *Service) openShipments(ctx context.Context, sellerID string, since, now time.Time) ([]store.Shipment, *keptOpen, error) {
	s.kept.mu.Lock()
	ko := s.kept.seller(sellerID).open
	s.kept.mu.Unlock()
	if ko != nil && !since.Before(ko.since) && !now.Before(ko.now) {
		changed, open, mark, ok, err := s.store.ShipmentsChanged(ctx, sellerID, ko.mark, ko.since, ko.now)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			if mark != ko.mark {
				ko = ko.merge(changed, open, mark)
				s.kept.mu.Lock()
				s.kept.seller(sellerID).open = ko
				s.kept.mu.Unlock()
			}
			return stillOpen(ko.rows, since, now), ko, nil
		}
	}
	rows, mark, err := s.store.OpenShipmentsMarked(ctx, sellerID, since, now)
	if err != nil {
		return nil, nil, err
	}
	ko = &keptOpen{mark: mark, since: since, now: now, rows: rows}
	s.kept.mu.Lock()
	s.kept.seller(sellerID).open = ko
	s.kept.mu.Unlock()
	return rows, ko, nil
}

// merge returns ko at mark: the changed shipments (written since ko's
// mark, open[i] when OpenShipments at ko's since and now reads
// changed[i]) replace ko's rows of them, or join them when open, or
// leave them when not.
func (ko *keptOpen) merge(changed []store.Shipment, open []bool, mark store.Mark) *keptOpen {
	next := &keptOpen{mark: mark, since: ko.since, now: ko.now, rows: ko.rows}
	if r := ko.forecasts.Load(); r != nil {
		next.earlier, next.changed = r, changed
	} else if ko.earlier != nil && len(ko.changed)+len(changed) <= followMax {
		next.earlier, next.changed = ko.earlier, append(slices.Clip(ko.changed), changed...)
	}
	if len(changed) == 0 {
		if r := ko.forecasts.Load(); r != nil {
			next.forecasts.Store(r)
			next.earlier, next.changed = nil, nil
		}
		return next
	}
	ids := make(map[string]bool, len(changed))
	n := 0
	for i := range changed {
		ids[changed[i].ID] = true
		if open[i] {
			n++
		}
	}
	rows := make([]store.Shipment, 0, len(ko.rows)+n)
	for i := range ko.rows {
		if !ids[ko.rows[i].ID] {
			rows = append(rows, ko.rows[i])
		}
	}
	for i := range changed {
		if open[i] {
			rows = append(rows, changed[i])
		}
	}
	next.rows = rows
	return next
}

// deliveryForecasts is monitor.DeliveryForecasts of due (some of ko's
// rows) from what ko keeps of an earlier request's reads, brought up to
// date when needed, otherwise reading (and keeping) them. The reads
// follow ko's mark, as the rows do.
func (s *Service) deliveryForecasts(ctx context.Context, sellerID string, due []store.Shipment, now time.Time, ko *keptOpen) (map[string]forecast.Forecast, error) {
	r, changed := ko.forecasts.Load(), []store.Shipment(nil)
	if r == nil {
		r, changed = ko.earlier, ko.changed
	}
	if r != nil {
		if changed == nil {
			if out, ok, err := r.Forecasts(due, now); err != nil || ok {
				return out, err
			}
		}
		next, ok, err := r.Follow(ctx, s.store, changed, due, now)
		if err != nil {
			return nil, err
		}
		if ok {
			ko.forecasts.Store(next)
			out, ok, err := next.Forecasts(due, now)
			if err != nil || ok {
				return out, err
			}
		}
	}
	r, err := monitor.ReadForecasts(ctx, s.store, sellerID, due, now)
	if err != nil {
		return nil, err
	}
	ko.forecasts.Store(r)
	out, _, err := r.Forecasts(due, now)
	return out, err
}

// stillOpen is the rows OpenShipments reads at since and now among rows
// read at an earlier since and now (its condition: received since, and
// not scanned or due after now or, unshipped, to ship after now); rows
// itself when all are.
func stillOpen(rows []store.Shipment, since, now time.Time) []store.Shipment {
	open := func(sh *store.Shipment) bool {
		return !sh.CreatedAt.Before(since) && (sh.FirstScanAt == nil || sh.DeliverBy != nil && sh.DeliverBy.After(now) ||
			sh.ShippedAt == nil && sh.ShipBy != nil && sh.ShipBy.After(now))
	}
	n := 0
	for i := range rows {
		if open(&rows[i]) {
			n++
		}
	}
	if n == len(rows) {
		return rows
	}
	out := make([]store.Shipment, 0, n)
	for i := range rows {
		if open(&rows[i]) {
			out = append(out, rows[i])
		}
	}
	return out
}

// standardCounts is store.StandardCountsKept with the seller's kept pass
// for these queries, keeping the one it returns.
func (s *Service) standardCounts(ctx context.Context, sellerID string, qs []store.StandardQuery, now time.Time) ([]store.StandardResult, error) {
	sig := countsSig(qs)
	s.kept.mu.Lock()
	prev := s.kept.seller(sellerID).counts[sig]
	s.kept.mu.Unlock()
	res, next, err := s.store.StandardCountsKept(ctx, sellerID, qs, now, prev)
	if err != nil {
		return nil, err
	}
	if next != prev {
		s.kept.mu.Lock()
		s.kept.seller(sellerID).counts[sig] = next
		s.kept.mu.Unlock()
	}
	return res, nil
}

func countsSig(qs []store.StandardQuery) string {
	b := make([]byte, 0, 32*len(qs))
	for _, q := range qs {
		b = append(b, q.Count...)
		b = append(b, '/')
		b = append(b, q.Keying...)
		b = append(b, '/', byte('0'+q.Days/100), byte('0'+q.Days/10%10), byte('0'+q.Days%10), ';')
	}
	return string(b)
}
