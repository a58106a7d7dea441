package graph

import (
	"context"
	"strconv"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TrackingSource returns the TrackingSource field resolvers.
func (r *Resolver) TrackingSource() generated.TrackingSourceResolver {
	return &trackingSourceResolver{r}
}

// TrackingEvent returns the TrackingEvent field resolvers.
func (r *Resolver) TrackingEvent() generated.TrackingEventResolver { return &trackingEventResolver{r} }

type trackingSourceResolver struct{ *Resolver }
type trackingEventResolver struct{ *Resolver }

func (r *queryResolver) TrackingSources(ctx context.Context, first *int, after *string) (*model.TrackingSourceConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.TrackingSources(ctx, sellerID, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.TrackingSourceConnection{Edges: []*model.TrackingSourceEdge{}, PageInfo: pageInfo(page, cursor), SellerID: sellerID}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.TrackingSourceEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *mutationResolver) CreateTrackingSource(ctx context.Context, provider model.TrackingProvider, secret *string, autoRegister *bool) (*store.TrackingSource, error) {
	return bySeller(ctx, func(sellerID string) (store.TrackingSource, error) {
		in := monitor.NewSource{Provider: string(provider), Secret: deref(secret), AutoRegister: autoRegister != nil && *autoRegister}
		return r.Webhooks.CreateSource(ctx, sellerID, in)
	})
}

func (r *mutationResolver) UpdateTrackingSource(ctx context.Context, id string, autoRegister *bool, secret *string) (*store.TrackingSource, error) {
	return bySeller(ctx, func(sellerID string) (store.TrackingSource, error) {
		return r.Webhooks.UpdateSource(ctx, sellerID, id, monitor.SourceUpdate{AutoRegister: autoRegister, Secret: secret})
	})
}

func (r *mutationResolver) DeleteTrackingSource(ctx context.Context, id string) (*store.TrackingSource, error) {
	return bySeller(ctx, func(sellerID string) (store.TrackingSource, error) { return r.Webhooks.DeleteSource(ctx, sellerID, id) })
}

func (r *mutationResolver) RecordTrackingEvents(ctx context.Context, input []*model.TrackingEventInput) (*model.RecordTrackingEventsPayload, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]monitor.EventInput, len(input))
	for i, in := range input {
		items[i] = eventInput(in)
	}
	res, err := r.Monitor.RecordBackOfficeEvents(ctx, sellerID, items)
	if err != nil {
		return nil, err
	}
	out := &model.RecordTrackingEventsPayload{
		Recorded: res.Recorded, Duplicates: res.Duplicates,
		Errors: []*model.ItemError{}, Shipments: ptrs(res.Shipments),
	}
	for _, e := range res.Errors {
		ie := itemError(e.Index, e.FieldError)
		if e.NotFound {
			ie.Code = CodeNotFound
		}
		out.Errors = append(out.Errors, ie)
	}
	return out, nil
}

func eventInput(in *model.TrackingEventInput) monitor.EventInput {
	out := monitor.EventInput{
		ShipmentID: deref(in.ShipmentID), TrackingNumber: deref(in.TrackingNumber), Carrier: deref(in.Carrier),
		Event: shipment.Event{
			OccurredAt: in.OccurredAt, Status: shipment.Status(in.Status),
			CarrierStatus: deref(in.CarrierStatus), Description: deref(in.Description),
			EstimatedDeliveryAt: in.EstimatedDeliveryAt, SignedBy: deref(in.SignedBy), PhotoURL: deref(in.PhotoURL),
		},
	}
	if l := in.Location; l != nil {
		out.Event.Location = shipment.Location{City: deref(l.City), Region: deref(l.Region), PostalCode: deref(l.PostalCode), Country: deref(l.Country)}
	}
	return out
}

func (r *shipmentResolver) Events(ctx context.Context, obj *store.Shipment, first *int, after *string) (*model.TrackingEventConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	conn := &model.TrackingEventConnection{Edges: []*model.TrackingEventEdge{}, PageInfo: &model.PageInfo{HasPreviousPage: cursor.ID != ""}, Shipment: obj}
	if obj.NormalizedTrackingNumber == "" {
		return conn, nil
	}
	var page store.Page[store.Event]
	if cursor.ID == "" {
		page, err = r.firstEventsOf(ctx, obj, limit)
	} else {
		page, err = r.Store.Events(ctx, sellerID, obj.NormalizedTrackingNumber, limit, cursor)
	}
	if err != nil {
		return nil, err
	}
	conn.PageInfo = pageInfo(page, cursor)
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.TrackingEventEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *trackingSourceResolver) Provider(_ context.Context, obj *store.TrackingSource) (model.TrackingProvider, error) {
	return model.TrackingProvider(obj.Provider), nil
}

func (r *trackingSourceResolver) WebhookURL(_ context.Context, obj *store.TrackingSource) (string, error) {
	return r.Webhooks.WebhookURL(*obj), nil
}

func (r *trackingEventResolver) ID(_ context.Context, obj *store.Event) (string, error) {
	return strconv.FormatInt(obj.ID, 10), nil
}

func (r *trackingEventResolver) Source(_ context.Context, obj *store.Event) (model.EventSource, error) {
	return model.EventSource(obj.Source), nil
}

func (r *trackingEventResolver) Status(_ context.Context, obj *store.Event) (model.ShipmentStatus, error) {
	return model.ShipmentStatus(obj.Status), nil
}

func (r *trackingEventResolver) Carrier(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.Carrier), nil
}

func (r *trackingEventResolver) CarrierStatus(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.CarrierStatus), nil
}

func (r *trackingEventResolver) ProviderStatus(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.ProviderStatus), nil
}

func (r *trackingEventResolver) ProviderDetail(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.ProviderDetail), nil
}

func (r *trackingEventResolver) Description(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.Description), nil
}

func (r *trackingEventResolver) Location(_ context.Context, obj *store.Event) (*model.EventLocation, error) {
	if obj.City == "" && obj.Region == "" && obj.PostalCode == "" && obj.Country == "" {
		return nil, nil
	}
	return &model.EventLocation{City: nullable(obj.City), Region: nullable(obj.Region), PostalCode: nullable(obj.PostalCode), Country: nullable(obj.Country)}, nil
}

func (r *trackingEventResolver) SignedBy(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.SignedBy), nil
}

func (r *trackingEventResolver) PhotoURL(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.PhotoURL), nil
}

// TrackingSourceConnection returns the TrackingSourceConnection field resolvers.
func (r *Resolver) TrackingSourceConnection() generated.TrackingSourceConnectionResolver {
	return &trackingSourceConnectionResolver{r}
}

// TrackingEventConnection returns the TrackingEventConnection field resolvers.
func (r *Resolver) TrackingEventConnection() generated.TrackingEventConnectionResolver {
	return &trackingEventConnectionResolver{r}
}

type trackingSourceConnectionResolver struct{ *Resolver }
type trackingEventConnectionResolver struct{ *Resolver }

func (r *trackingSourceConnectionResolver) TotalCount(ctx context.Context, obj *model.TrackingSourceConnection) (int, error) {
	return r.Store.CountTrackingSources(ctx, obj.SellerID)
}

// TotalCount counts the events of the shipment's number, for the whole
// page of shipments at once (eventCountOf).
func (r *trackingEventConnectionResolver) TotalCount(ctx context.Context, obj *model.TrackingEventConnection) (int, error) {
	if obj.Shipment.NormalizedTrackingNumber == "" {
		return 0, nil
	}
	return r.eventCountOf(ctx, obj.Shipment)
}
