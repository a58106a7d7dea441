package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/shipwatch/shipwatch/internal/store"
)

// loaderWait is how long a dataloader gathers keys before it queries. The
// fields of one page resolve concurrently within microseconds, so a short
// wait catches them all without slowing the response.
const loaderWait = 2 * time.Millisecond

// Loaders is a gqlgen extension that gives every operation its own
// dataloaders: batching never mixes two requests, so never two sellers,
// and nothing is cached beyond one response.
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
	return next(context.WithValue(ctx, loadersKey{}, newLoaders(l.Store)))
}

type loadersKey struct{}

type loaders struct {
	firstEvents *dataloadgen.Loader[eventsKey, store.Page[store.Event]]
}

// eventsKey asks for the first page of one number's timeline.
type eventsKey struct {
	sellerID, number string
	limit            int
}

func newLoaders(st *store.Store) *loaders {
	return &loaders{
		firstEvents: dataloadgen.NewLoader(func(ctx context.Context, keys []eventsKey) ([]store.Page[store.Event], []error) {
			return fetchFirstEvents(ctx, st, keys)
		}, dataloadgen.WithWait(loaderWait)),
	}
}

// fetchFirstEvents answers a batch with one query per seller and page
// size: in practice one query, since a request has one seller and asks
// one page size.
func fetchFirstEvents(ctx context.Context, st *store.Store, keys []eventsKey) ([]store.Page[store.Event], []error) {
	type group struct {
		sellerID string
		limit    int
	}
	numbers := map[group][]string{}
	for _, k := range keys {
		g := group{k.sellerID, k.limit}
		numbers[g] = append(numbers[g], k.number)
	}
	pages := map[eventsKey]store.Page[store.Event]{}
	failed := map[group]error{}
	for g, list := range numbers {
		got, err := st.FirstEvents(ctx, g.sellerID, list, g.limit)
		if err != nil {
			failed[g] = err
			continue
		}
		for n, p := range got {
			pages[eventsKey{g.sellerID, n, g.limit}] = p
		}
	}
	out := make([]store.Page[store.Event], len(keys))
	var errs []error
	for i, k := range keys {
		if err := failed[group{k.sellerID, k.limit}]; err != nil {
			if errs == nil {
				errs = make([]error, len(keys))
			}
			errs[i] = err
			continue
		}
		out[i] = pages[k]
	}
	return out, errs
}

// firstEvents loads the first page of a timeline through the request's
// dataloader, or directly when the request has none (a resolver called
// outside the HTTP handler).
func firstEvents(ctx context.Context, st *store.Store, sellerID, number string, limit int) (store.Page[store.Event], error) {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l.firstEvents.Load(ctx, eventsKey{sellerID, number, limit})
	}
	return st.Events(ctx, sellerID, number, limit, store.Cursor{})
}
