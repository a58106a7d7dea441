package health

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// keptSellers is how many sellers' reads a Service keeps: the last ones
// forecast. A seller with 100,000 open shipments keeps about 64 MB of heap
// (make bench-outlook measures it).
const keptSellers = 4

// kept is what a Service keeps of its last forecasts' reads, per seller,
// for the next request while nothing of the seller is written
// (store.SellerChangeToken): the open shipments with what their delivery
// forecasts read (monitor.ForecastReads) and, per set of windows, the
// counts' pass (store.CountsKept). A request after any write reads
// afresh, so the answers are the reads' exactly.
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

// keptOpen is a read of the open shipments: the token read before it, and
// its since and now. A later request with the same token and a since and a
// now not before them needs a subset of its rows: OpenShipments' condition
// applied again.
type keptOpen struct {
	token      string
	since, now time.Time
	rows       []store.Shipment
	// forecasts is what the delivery forecasts of the rows due read (set
	// by the request that read it), for the later requests that forecast
	// some of them.
	forecasts atomic.Pointer[monitor.ForecastReads]
}

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
// when nothing of the seller was written since it, otherwise by reading
// (and keeping) them.
func (s *Service) openShipments(ctx context.Context, sellerID string, since, now time.Time) ([]store.Shipment, *keptOpen, error) {
	token, err := s.store.SellerChangeToken(ctx, sellerID)
	if err != nil {
		return nil, nil, err
	}
	s.kept.mu.Lock()
	ko := s.kept.seller(sellerID).open
	s.kept.mu.Unlock()
	if ko != nil && ko.token == token && !since.Before(ko.since) && !now.Before(ko.now) {
		return stillOpen(ko.rows, since, now), ko, nil
	}
	rows, err := s.store.OpenShipments(ctx, sellerID, since, now)
	if err != nil {
		return nil, nil, err
	}
	ko = &keptOpen{token: token, since: since, now: now, rows: rows}
	s.kept.mu.Lock()
	s.kept.seller(sellerID).open = ko
	s.kept.mu.Unlock()
	return rows, ko, nil
}

// deliveryForecasts is monitor.DeliveryForecasts of due (some of ko's
// rows) from what ko keeps of an earlier request's reads when it can
// answer, otherwise reading (and keeping) them. The reads follow the
// token ko was read under, as the rows do.
func (s *Service) deliveryForecasts(ctx context.Context, sellerID string, due []store.Shipment, now time.Time, ko *keptOpen) (map[string]forecast.Forecast, error) {
	if r := ko.forecasts.Load(); r != nil {
		if out, ok, err := r.Forecasts(due, now); err != nil || ok {
			return out, err
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
