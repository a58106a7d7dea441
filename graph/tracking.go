package graph

import (
	"context"
	"strings"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// TrackingCheck returns the TrackingCheck field resolvers.
func (r *Resolver) TrackingCheck() generated.TrackingCheckResolver { return &trackingCheckResolver{r} }

type trackingCheckResolver struct{ *Resolver }

func (r *queryResolver) CheckTrackingNumber(ctx context.Context, trackingNumber string, carrier *string) (*tracking.Result, error) {
	if _, err := seller(ctx); err != nil {
		return nil, err
	}
	if len(trackingNumber) > 256 {
		return nil, badInput("trackingNumber", "is longer than 256 characters")
	}
	declared := strings.TrimSpace(deref(carrier))
	if declared != "" {
		if _, ok := tracking.ResolveCarrier(declared); !ok {
			return nil, badInput("carrier", clip.Quote(declared)+" is not a known carrier")
		}
	}
	res := tracking.Check(trackingNumber, declared)
	return &res, nil
}

// TrackingCheck recomputes the check the shipment's verdict was stored
// from: the check is pure and fast, so only its verdict is stored.
func (r *shipmentResolver) TrackingCheck(_ context.Context, obj *store.Shipment) (*tracking.Result, error) {
	if obj.TrackingNumber == "" {
		return nil, nil
	}
	res := tracking.Check(obj.TrackingNumber, obj.Carrier)
	return &res, nil
}

// Suggestions ranks the fixes of a failing number also by the seller's
// own recent numbers (the same shipper account, mailer id or prefix and
// sequence); a valid number has none and reads nothing.
func (r *trackingCheckResolver) Suggestions(ctx context.Context, obj *tracking.Result) ([]string, error) {
	if obj.Valid {
		return []string{}, nil
	}
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	numbers, err := r.loadersFrom(ctx, sellerID).numbers(ctx)
	if err != nil {
		return nil, err
	}
	out := obj.SuggestionsFrom(numbers)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

func (r *trackingCheckResolver) Carrier(_ context.Context, obj *tracking.Result) (*string, error) {
	return nullable(obj.Carrier), nil
}

func (r *trackingCheckResolver) Format(_ context.Context, obj *tracking.Result) (*string, error) {
	return nullable(obj.Format), nil
}

func (r *trackingCheckResolver) Reason(_ context.Context, obj *tracking.Result) (*model.TrackingCheckReason, error) {
	if obj.Reason == tracking.ReasonNone {
		return nil, nil
	}
	reason := model.TrackingCheckReason(obj.Reason)
	return &reason, nil
}

func (r *trackingCheckResolver) Message(_ context.Context, obj *tracking.Result) (*string, error) {
	return nullable(obj.Message), nil
}

func (r *trackingCheckResolver) TrackingURL(_ context.Context, obj *tracking.Result) (*string, error) {
	return nullable(obj.TrackingURL()), nil
}
