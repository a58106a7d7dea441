package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// loaderWait is how long a loader collects keys before it queries: the
// resolvers of one list's items start within microseconds of each other.
const loaderWait = 2 * time.Millisecond

// Loaders is a gqlgen extension that gives every response of an
// authenticated seller its own dataloaders, so nested lists (a page of
// shipments with their flags, events or proofs; flags with their shipment)
// cost one query per field and page, not one per item. The loaders are
// bound to the seller, so a key can only ever load that seller's rows, and
// they live for one response: a subscription's next event reads fresh rows.
type Loaders struct{ Store *store.Store }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Loaders{}

// ExtensionName implements graphql.HandlerExtension.
func (Loaders) ExtensionName() string { return "Loaders" }

// Validate implements graphql.HandlerExtension.
func (Loaders) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (l Loaders) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	seller, ok := auth.SellerFrom(ctx)
	if !ok {
		return next(ctx)
	}
	return next(context.WithValue(ctx, loadersKey{}, newLoaders(l.Store, seller.ID)))
}

type loadersKey struct{}

type loaders struct {
	shipments   *dataloadgen.Loader[string, store.Shipment]
	flags       *dataloadgen.Loader[flagsKey, []flag.Flag]
	firstEvents *dataloadgen.Loader[eventsKey, store.Page[store.Event]]
	proofs      *dataloadgen.Loader[store.ChainRef, []store.Proof]
	// health is each source's health (webhook sources, carrier accounts).
	health      *dataloadgen.Loader[string, source.Health]
	eventCounts *dataloadgen.Loader[string, int]

	// forecasts forecasts a page's shipments together: their lanes'
	// histograms in one read.
	forecasts *dataloadgen.Loader[string, forecast.Forecast]

	// numbers is the seller's recent valid tracking numbers, read once per
	// response and only when a suggestion needs them.
	numbers func(context.Context) (*tracking.Numbers, error)

	fetchFlags  func(context.Context, []flagsKey) (map[flagsKey][]flag.Flag, error)
	fetchEvents func(context.Context, []eventsKey) (map[eventsKey]store.Page[store.Event], error)
	fetchProofs func(context.Context, []store.ChainRef) (map[store.ChainRef][]store.Proof, error)
	fetchCounts func(context.Context, []string) (map[string]int, error)

	// pages remembers which list each shipment of the response came from,
	// so a nested field loads for the whole page at once (see page).
	mu    sync.Mutex
	pages map[string]*page
}

// A page is the shipments one list resolver returned. The loaders' wait
// only batches the items whose resolvers start within it, and on a busy
// machine a page's resolvers can spread over more than that, splitting one
// query into several. So the first nested field resolved on any item of a
// page loads that field (for its arguments) for every item, and primes the
// loader: the statements a page costs do not depend on its size or on
// timing.
type page struct {
	items []*store.Shipment
	mu    sync.Mutex
	once  map[any]*sync.Once
}

// do runs fill once per shape of nested field (its kind and arguments);
// other items' resolvers wait for it and then read the primed loader.
func (p *page) do(shape any, fill func([]*store.Shipment)) {
	p.mu.Lock()
	o, ok := p.once[shape]
	if !ok {
		o = new(sync.Once)
		p.once[shape] = o
	}
	p.mu.Unlock()
	o.Do(func() { fill(p.items) })
}

// notePage records a page of shipments a list resolver is about to return.
func (l *loaders) notePage(items []*store.Shipment) {
	if len(items) < 2 {
		return
	}
	p := &page{items: items, once: map[any]*sync.Once{}}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pages == nil {
		l.pages = map[string]*page{}
	}
	for _, sh := range items {
		l.pages[sh.ID] = p
	}
}

// pageOf returns the page a shipment was listed in, or nil.
func (l *loaders) pageOf(shipmentID string) *page {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pages[shipmentID]
}

// flagsKey asks for the newest limit flags of one shipment; open is -1 for
// all, 0 for resolved, 1 for open.
type flagsKey struct {
	shipment string
	open     int8
	limit    int
}

// eventsKey asks for the first page of one number's timeline.
type eventsKey struct {
	number string
	limit  int
}

func newLoaders(st *store.Store, sellerID string) *loaders {
	l := &loaders{
		fetchFlags: func(ctx context.Context, keys []flagsKey) (map[flagsKey][]flag.Flag, error) {
			out := make(map[flagsKey][]flag.Flag, len(keys))
			for g, ids := range groupBy(keys, func(k flagsKey) (flagsKey, string) { return flagsKey{open: k.open, limit: k.limit}, k.shipment }) {
				var open *bool
				if g.open >= 0 {
					b := g.open == 1
					open = &b
				}
				found, err := st.ShipmentFlags(ctx, sellerID, ids, open, g.limit)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					out[flagsKey{id, g.open, g.limit}] = found[id]
				}
			}
			return out, nil
		},
		fetchEvents: func(ctx context.Context, keys []eventsKey) (map[eventsKey]store.Page[store.Event], error) {
			out := make(map[eventsKey]store.Page[store.Event], len(keys))
			for limit, numbers := range groupBy(keys, func(k eventsKey) (int, string) { return k.limit, k.number }) {
				got, err := st.FirstEvents(ctx, sellerID, numbers, limit)
				if err != nil {
					return nil, err
				}
				for _, n := range numbers {
					out[eventsKey{n, limit}] = got[n]
				}
			}
			return out, nil
		},
		fetchProofs: func(ctx context.Context, refs []store.ChainRef) (map[store.ChainRef][]store.Proof, error) {
			m, err := st.ProofsOf(ctx, sellerID, refs)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				if m[r] == nil {
					m[r] = []store.Proof{}
				}
			}
			return m, nil
		},
	}
	l.fetchCounts = func(ctx context.Context, numbers []string) (map[string]int, error) {
		return st.CountEvents(ctx, sellerID, numbers)
	}
	wait := dataloadgen.WithWait(loaderWait)
	l.shipments = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]store.Shipment, error) {
		list, err := st.ShipmentsByID(ctx, sellerID, ids)
		if err != nil {
			return nil, err
		}
		m := make(map[string]store.Shipment, len(list))
		for _, sh := range list {
			m[sh.ID] = sh
		}
		return m, nil
	}, wait)
	l.flags = dataloadgen.NewMappedLoader(l.fetchFlags, wait)
	l.firstEvents = dataloadgen.NewMappedLoader(l.fetchEvents, wait)
	l.proofs = dataloadgen.NewMappedLoader(l.fetchProofs, wait)
	l.health = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]source.Health, error) {
		list, err := st.SourceHealth(ctx, sellerID, ids)
		if err != nil {
			return nil, err
		}
		m := make(map[string]source.Health, len(ids))
		for _, id := range ids {
			m[id] = source.Health{SourceID: id, SellerID: sellerID} // nothing recorded yet: UNKNOWN
		}
		for _, h := range list {
			m[h.SourceID] = h
		}
		return m, nil
	}, wait)
	l.eventCounts = dataloadgen.NewMappedLoader(l.fetchCounts, wait)
	l.forecasts = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]forecast.Forecast, error) {
		shs, err := st.ShipmentsByID(ctx, sellerID, ids)
		if err != nil {
			return nil, err
		}
		return monitor.DeliveryForecasts(ctx, st, sellerID, shs, time.Now())
	}, wait)
	var (
		once    sync.Once
		numbers *tracking.Numbers
		numErr  error
	)
	l.numbers = func(ctx context.Context) (*tracking.Numbers, error) {
		once.Do(func() {
			recent, err := st.RecentTrackingNumbers(ctx, sellerID, recentNumbers)
			if err != nil {
				numErr = err
				return
			}
			numbers = tracking.NewNumbers(recent)
		})
		return numbers, numErr
	}
	return l
}

// recentNumbers is how many of the seller's latest valid numbers rank
// suggestions: enough to cover each account they ship from.
const recentNumbers = 500

// prime loads keys with fetch in one call and primes loader with the
// results. An error leaves the loader unprimed: each item then loads
// through it and reports the error on its own field.
func prime[K comparable, V any](ctx context.Context, loader *dataloadgen.Loader[K, V], fetch func(context.Context, []K) (map[K]V, error), keys []K) {
	if len(keys) == 0 {
		return
	}
	got, err := fetch(ctx, keys)
	if err != nil {
		return
	}
	for k, v := range got {
		loader.Prime(k, v)
	}
}

// groupBy splits keys into groups of ids that one query can answer.
func groupBy[K any, G comparable](keys []K, split func(K) (G, string)) map[G][]string {
	out := map[G][]string{}
	for _, k := range keys {
		g, id := split(k)
		out[g] = append(out[g], id)
	}
	return out
}

// loadersFrom returns the response's loaders, or fresh ones for the
// seller outside a response (a resolver called directly).
func (r *Resolver) loadersFrom(ctx context.Context, sellerID string) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.Store, sellerID)
}

// notePage tells the response's loaders that items were listed together.
func (r *Resolver) notePage(ctx context.Context, sellerID string, items []*store.Shipment) {
	r.loadersFrom(ctx, sellerID).notePage(items)
}

// shipmentOf loads one of the seller's shipments; one it cannot find is
// store.ErrNotFound.
func (r *Resolver) shipmentOf(ctx context.Context, sellerID, id string) (store.Shipment, error) {
	sh, err := r.loadersFrom(ctx, sellerID).shipments.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return store.Shipment{}, store.ErrNotFound
	}
	return sh, err
}

// proofsOf loads the proofs of delivery of one shipment's evidence chain.
func (r *Resolver) proofsOf(ctx context.Context, sh *store.Shipment) ([]store.Proof, error) {
	l := r.loadersFrom(ctx, sh.SellerID)
	if p := l.pageOf(sh.ID); p != nil {
		p.do(proofsShape{}, func(items []*store.Shipment) {
			refs := make([]store.ChainRef, len(items))
			for i, it := range items {
				refs[i] = store.ChainOf(*it)
			}
			prime(ctx, l.proofs, l.fetchProofs, refs)
		})
	}
	return l.proofs.Load(ctx, store.ChainOf(*sh))
}

// flagsOf loads the newest flags of one shipment.
func (r *Resolver) flagsOf(ctx context.Context, sellerID string, key flagsKey) ([]flag.Flag, error) {
	l := r.loadersFrom(ctx, sellerID)
	if p := l.pageOf(key.shipment); p != nil {
		p.do(flagsKey{open: key.open, limit: key.limit}, func(items []*store.Shipment) {
			keys := make([]flagsKey, len(items))
			for i, it := range items {
				keys[i] = flagsKey{shipment: it.ID, open: key.open, limit: key.limit}
			}
			prime(ctx, l.flags, l.fetchFlags, keys)
		})
	}
	return l.flags.Load(ctx, key)
}

// firstEventsOf loads the first page of one shipment's timeline.
func (r *Resolver) firstEventsOf(ctx context.Context, sh *store.Shipment, limit int) (store.Page[store.Event], error) {
	l := r.loadersFrom(ctx, sh.SellerID)
	if p := l.pageOf(sh.ID); p != nil {
		p.do(eventsKey{limit: limit}, func(items []*store.Shipment) {
			var keys []eventsKey
			for _, it := range items {
				if it.NormalizedTrackingNumber != "" {
					keys = append(keys, eventsKey{it.NormalizedTrackingNumber, limit})
				}
			}
			prime(ctx, l.firstEvents, l.fetchEvents, keys)
		})
	}
	return l.firstEvents.Load(ctx, eventsKey{sh.NormalizedTrackingNumber, limit})
}

// eventCountShape is the page-wide count of events, which takes no
// arguments.
type eventCountShape struct{}

// eventCountOf counts the events of one shipment's number, loading the
// counts of its whole page at once.
func (r *Resolver) eventCountOf(ctx context.Context, sh *store.Shipment) (int, error) {
	l := r.loadersFrom(ctx, sh.SellerID)
	if p := l.pageOf(sh.ID); p != nil {
		p.do(eventCountShape{}, func(items []*store.Shipment) {
			var numbers []string
			for _, it := range items {
				if it.NormalizedTrackingNumber != "" {
					numbers = append(numbers, it.NormalizedTrackingNumber)
				}
			}
			prime(ctx, l.eventCounts, l.fetchCounts, numbers)
		})
	}
	return l.eventCounts.Load(ctx, sh.NormalizedTrackingNumber)
}

// proofsShape is the page-wide load of proofs, which take no arguments.
type proofsShape struct{}
