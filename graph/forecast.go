package graph

import (
	"context"
	"errors"

	"github.com/vikstrous/dataloadgen"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DeliveryForecast returns the DeliveryForecast field resolvers.
func (r *Resolver) DeliveryForecast() generated.DeliveryForecastResolver {
	return &deliveryForecastResolver{r}
}

type deliveryForecastResolver struct{ *Resolver }

// DeliveryForecast forecasts an undelivered, shipped shipment from the
// seller's lanes; a page's shipments are forecast together.
func (r *shipmentResolver) DeliveryForecast(ctx context.Context, obj *store.Shipment) (*forecast.Forecast, error) {
	if obj.DeliveredAt != nil || obj.CancelledAt != nil || (obj.ShippedAt == nil && obj.FirstScanAt == nil) {
		return nil, nil
	}
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := r.loadersFrom(ctx, sellerID).forecasts.Load(ctx, obj.ID)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil // no history for its lane
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func (r *deliveryForecastResolver) MissProbability(_ context.Context, obj *forecast.Forecast) (*float64, error) {
	if !obj.HasDeadline {
		return nil, nil
	}
	p := obj.MissProbability
	return &p, nil
}

func (r *sellerSettingsResolver) Origin(_ context.Context, obj *store.SellerSettings) (*model.Origin, error) {
	return &model.Origin{PostalCode: nullable(obj.OriginPostalCode), Country: nullable(obj.OriginCountry)}, nil
}

// SellerSettings returns the SellerSettings field resolvers.
func (r *Resolver) SellerSettings() generated.SellerSettingsResolver {
	return &sellerSettingsResolver{r}
}

type sellerSettingsResolver struct{ *Resolver }
