package graph

import (
	"context"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// maxRejectedNumbers bounds TrackingRegistrations.rejectedNumbers(first).
const maxRejectedNumbers = 100

// TrackingRegistrations returns the TrackingRegistrations field resolvers.
func (r *Resolver) TrackingRegistrations() generated.TrackingRegistrationsResolver {
	return &trackingRegistrationsResolver{r}
}

type trackingRegistrationsResolver struct{ *Resolver }

func (r *trackingSourceResolver) Registrations(ctx context.Context, obj *store.TrackingSource) (*model.TrackingRegistrations, error) {
	if obj.Provider != monitor.ProviderSeventeenTrack {
		return nil, nil
	}
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := r.Store.CountRegistrations(ctx, sellerID, obj.ID)
	if err != nil {
		return nil, err
	}
	return &model.TrackingRegistrations{RegistrationCounts: counts, SellerID: sellerID, SourceID: obj.ID}, nil
}

func (r *trackingRegistrationsResolver) RejectedNumbers(ctx context.Context, obj *model.TrackingRegistrations, first *int) ([]*store.Registration, error) {
	limit := 20
	if first != nil {
		limit = *first
	}
	if limit < 0 || limit > maxRejectedNumbers {
		return nil, badInput("first", "must be between 0 and 100")
	}
	rows, err := r.Store.RejectedRegistrations(ctx, obj.SellerID, obj.SourceID, limit)
	if err != nil {
		return nil, err
	}
	return ptrs(rows), nil
}

func (r *shipmentResolver) LastEventSource(_ context.Context, obj *store.Shipment) (*model.EventSource, error) {
	if obj.LastEventSource == "" {
		return nil, nil
	}
	s := model.EventSource(obj.LastEventSource)
	return &s, nil
}
