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

// EvidenceLoaders is a gqlgen extension that gives each operation of an
// authenticated seller its own dataloaders for the evidence fields
// (Shipment.proofOfDelivery, Dispute.shipment), so that a page of 500
// shipments costs one query for their proofs, not 500. The loaders are
// bound to the seller: a key can only ever load that seller's rows.
type EvidenceLoaders struct{ Store *store.Store }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = EvidenceLoaders{}

// ExtensionName implements graphql.HandlerExtension.
func (EvidenceLoaders) ExtensionName() string { return "EvidenceLoaders" }

// Validate implements graphql.HandlerExtension.
func (EvidenceLoaders) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (l EvidenceLoaders) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	seller, ok := auth.SellerFrom(ctx)
	if !ok {
		return next(ctx)
	}
	return next(context.WithValue(ctx, evidenceLoadersKey{}, newEvidenceLoaders(l.Store, seller.ID)))
}

type evidenceLoadersKey struct{}

type evidenceLoaders struct {
	proofs    *dataloadgen.Loader[store.ChainRef, []store.Proof]
	shipments *dataloadgen.Loader[string, store.Shipment]
}

// loaderWait is how long a loader collects keys before querying: the
// resolvers of one list run concurrently, well within it.
const loaderWait = 2 * time.Millisecond

func newEvidenceLoaders(st *store.Store, sellerID string) *evidenceLoaders {
	return &evidenceLoaders{
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
		}, dataloadgen.WithWait(loaderWait)),
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
		}, dataloadgen.WithWait(loaderWait)),
	}
}

// proofsOf loads a chain's proofs through the operation's loader, or
// directly when there is none (a resolver called outside the server).
func (r *Resolver) proofsOf(ctx context.Context, sellerID string, ref store.ChainRef) ([]store.Proof, error) {
	if l, ok := ctx.Value(evidenceLoadersKey{}).(*evidenceLoaders); ok {
		return l.proofs.Load(ctx, ref)
	}
	m, err := r.Store.ProofsOf(ctx, sellerID, []store.ChainRef{ref})
	if err != nil {
		return nil, err
	}
	return m[ref], nil
}

// shipmentOf loads a shipment through the operation's loader; a shipment
// the loader did not find is ErrNotFound.
func (r *Resolver) shipmentOf(ctx context.Context, sellerID, id string) (store.Shipment, error) {
	if l, ok := ctx.Value(evidenceLoadersKey{}).(*evidenceLoaders); ok {
		sh, err := l.shipments.Load(ctx, id)
		if errors.Is(err, dataloadgen.ErrNotFound) {
			return store.Shipment{}, store.ErrNotFound
		}
		return sh, err
	}
	return r.Store.Shipment(ctx, sellerID, id)
}
