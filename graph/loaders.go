package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/internal/store"
)

// batchWait is how long a loader waits for more keys after the first: the
// resolvers of one list's items start within microseconds of each other.
const batchWait = 2 * time.Millisecond

// batcher collects the keys that resolvers running at the same time ask
// for and fetches them in one call. It caches nothing: results go to the
// callers waiting for them and are forgotten, so a long-lived operation (a
// subscription) always reads fresh rows.
type batcher[K comparable, V any] struct {
	fetch func(ctx context.Context, keys []K) (map[K]V, error)
	max   int
	mu    sync.Mutex
	cur   *batch[K, V]
}

type batch[K comparable, V any] struct {
	keys    []K
	seen    map[K]bool
	started bool
	done    chan struct{}
	res     map[K]V
	err     error
}

// load returns the value for key, ok false when the fetch found none.
func (b *batcher[K, V]) load(ctx context.Context, key K) (v V, ok bool, err error) {
	b.mu.Lock()
	bt := b.cur
	if bt == nil {
		bt = &batch[K, V]{seen: map[K]bool{}, done: make(chan struct{})}
		b.cur = bt
		time.AfterFunc(batchWait, func() { b.run(ctx, bt) })
	}
	if !bt.seen[key] {
		bt.seen[key] = true
		bt.keys = append(bt.keys, key)
	}
	if len(bt.keys) >= b.max {
		b.cur = nil
		go b.run(ctx, bt)
	}
	b.mu.Unlock()
	select {
	case <-bt.done:
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
	if bt.err != nil {
		return v, false, bt.err
	}
	v, ok = bt.res[key]
	return v, ok, nil
}

// run fetches a batch once, whoever gets to it first (the timer or the
// caller that filled it).
func (b *batcher[K, V]) run(ctx context.Context, bt *batch[K, V]) {
	b.mu.Lock()
	if b.cur == bt {
		b.cur = nil
	}
	if bt.started {
		b.mu.Unlock()
		return
	}
	bt.started = true
	keys := bt.keys
	b.mu.Unlock()
	bt.res, bt.err = b.fetch(context.WithoutCancel(ctx), keys)
	close(bt.done)
}

// loaders are one operation's batchers.
type loaders struct {
	shipments    *batcher[sellerKey, store.Shipment]
	shipmentFlag *batcher[shipmentFlagsKey, []store.Flag]
}

type sellerKey struct{ seller, id string }

// shipmentFlagsKey asks for the newest limit flags of one shipment; open
// is -1 for all, 0 for resolved, 1 for open.
type shipmentFlagsKey struct {
	seller, shipment string
	open             int8
	limit            int
}

func newLoaders(st *store.Store) *loaders {
	return &loaders{
		shipments: &batcher[sellerKey, store.Shipment]{max: 500, fetch: func(ctx context.Context, keys []sellerKey) (map[sellerKey]store.Shipment, error) {
			out := map[sellerKey]store.Shipment{}
			for seller, ids := range groupIDs(keys, func(k sellerKey) (string, string) { return k.seller, k.id }) {
				list, err := st.ShipmentsByID(ctx, seller, ids)
				if err != nil {
					return nil, err
				}
				for _, sh := range list {
					out[sellerKey{seller, sh.ID}] = sh
				}
			}
			return out, nil
		}},
		shipmentFlag: &batcher[shipmentFlagsKey, []store.Flag]{max: 500, fetch: func(ctx context.Context, keys []shipmentFlagsKey) (map[shipmentFlagsKey][]store.Flag, error) {
			type group struct {
				seller string
				open   int8
				limit  int
			}
			groups := map[group][]string{}
			for _, k := range keys {
				g := group{k.seller, k.open, k.limit}
				groups[g] = append(groups[g], k.shipment)
			}
			out := map[shipmentFlagsKey][]store.Flag{}
			for g, ids := range groups {
				var open *bool
				if g.open >= 0 {
					b := g.open == 1
					open = &b
				}
				found, err := st.ShipmentFlags(ctx, g.seller, ids, open, g.limit)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					out[shipmentFlagsKey{g.seller, id, g.open, g.limit}] = found[id]
				}
			}
			return out, nil
		}},
	}
}

func groupIDs[K any](keys []K, split func(K) (string, string)) map[string][]string {
	out := map[string][]string{}
	for _, k := range keys {
		g, id := split(k)
		out[g] = append(out[g], id)
	}
	return out
}

type loadersKey struct{}

// Loaders is a gqlgen extension giving each operation its own batchers,
// so nested fields (Flag.shipment, Shipment.flags) cost one query per
// page, not one per item.
type Loaders struct{ Store *store.Store }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Loaders{}

// ExtensionName implements graphql.HandlerExtension.
func (Loaders) ExtensionName() string { return "Loaders" }

// Validate implements graphql.HandlerExtension.
func (Loaders) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (l Loaders) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, loadersKey{}, newLoaders(l.Store)))
}

// loadersFrom returns the operation's loaders, or fresh ones outside an
// operation (tests calling resolvers directly).
func (r *Resolver) loadersFrom(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.Store)
}
