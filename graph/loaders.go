package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/store"
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
	flags       *dataloadgen.Loader[flagsKey, []store.Flag]
	firstEvents *dataloadgen.Loader[eventsKey, store.Page[store.Event]]
	proofs      *dataloadgen.Loader[store.ChainRef, []store.Proof]
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
	wait := dataloadgen.WithWait(loaderWait)
	return &loaders{
		shipments: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]store.Shipment, error) {
			list, err := st.ShipmentsByID(ctx, sellerID, ids)
			if err != nil {
				return nil, err
			}
			m := make(map[string]store.Shipment, len(list))
			for _, sh := range list {
				m[sh.ID] = sh
			}
			return m, nil
		}, wait),
		flags: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []flagsKey) (map[flagsKey][]store.Flag, error) {
			out := make(map[flagsKey][]store.Flag, len(keys))
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
		}, wait),
		firstEvents: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []eventsKey) (map[eventsKey]store.Page[store.Event], error) {
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
		}, wait),
		proofs: dataloadgen.NewMappedLoader(func(ctx context.Context, refs []store.ChainRef) (map[store.ChainRef][]store.Proof, error) {
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
		}, wait),
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

// shipmentOf loads one of the seller's shipments; one it cannot find is
// store.ErrNotFound.
func (r *Resolver) shipmentOf(ctx context.Context, sellerID, id string) (store.Shipment, error) {
	sh, err := r.loadersFrom(ctx, sellerID).shipments.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return store.Shipment{}, store.ErrNotFound
	}
	return sh, err
}

// proofsOf loads the proofs of delivery of one evidence chain.
func (r *Resolver) proofsOf(ctx context.Context, sellerID string, ref store.ChainRef) ([]store.Proof, error) {
	return r.loadersFrom(ctx, sellerID).proofs.Load(ctx, ref)
}

// flagsOf loads the newest flags of one shipment.
func (r *Resolver) flagsOf(ctx context.Context, sellerID string, key flagsKey) ([]store.Flag, error) {
	return r.loadersFrom(ctx, sellerID).flags.Load(ctx, key)
}

// firstEventsOf loads the first page of one number's timeline.
func (r *Resolver) firstEventsOf(ctx context.Context, sellerID, number string, limit int) (store.Page[store.Event], error) {
	return r.loadersFrom(ctx, sellerID).firstEvents.Load(ctx, eventsKey{number, limit})
}
