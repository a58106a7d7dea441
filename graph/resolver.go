// Package graph adapts Shipwatch's GraphQL schema to its use cases: each
// resolver takes the seller from the context, converts the input, calls
// one use case or store method and converts the output. No SQL, jobs or
// business rules live here.
package graph

import (
	"context"
	"log/slog"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Resolver holds what the resolvers call.
type Resolver struct {
	Store   *store.Store
	Monitor *monitor.Service
	Health  *health.Service
	Log     *slog.Logger
	// Evidence configures proofs of delivery and evidence downloads.
	Evidence EvidenceOptions
	PubSub   *pubsub.Hub
	Webhooks *monitor.Webhooks
	Imports  *monitor.Importer
	// Carriers are the carrier accounts and source health.
	Carriers *monitor.Carriers
}

// Config returns the gqlgen configuration over r, with the complexity
// functions that make lists count by their page size.
func (r *Resolver) Config() generated.Config {
	return generated.Config{Resolvers: r}
}

// Query returns the query resolvers.
func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

// Mutation returns the mutation resolvers.
func (r *Resolver) Mutation() generated.MutationResolver { return &mutationResolver{r} }

type queryResolver struct{ *Resolver }
type mutationResolver struct{ *Resolver }

// seller returns the authenticated seller's id. The server refuses
// operations without a seller before they reach a resolver; this is the
// second lock on the door.
func seller(ctx context.Context) (string, error) {
	s, ok := auth.SellerFrom(ctx)
	if !ok {
		return "", ErrUnauthenticated
	}
	return s.ID, nil
}

func (r *queryResolver) Viewer(ctx context.Context) (*store.Seller, error) {
	s, ok := auth.SellerFrom(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	return &s, nil
}

// bySeller runs fn for the authenticated seller and returns its result by
// pointer, as gqlgen wants it: the shape of most resolvers, once.
func bySeller[T any](ctx context.Context, fn func(sellerID string) (T, error)) (*T, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	v, err := fn(sellerID)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// sellerPage is the start of every list resolver: the authenticated seller
// and the checked page arguments.
func sellerPage(ctx context.Context, first *int, after *string) (sellerID string, limit int, cursor store.Cursor, err error) {
	if sellerID, err = seller(ctx); err != nil {
		return "", 0, store.Cursor{}, err
	}
	limit, cursor, err = pageArgs(first, after)
	return sellerID, limit, cursor, err
}
