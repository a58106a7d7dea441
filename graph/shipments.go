package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// MaxPageSize is the largest `first` any list accepts.
const MaxPageSize = 500

// Shipment returns the Shipment field resolvers.
func (r *Resolver) Shipment() generated.ShipmentResolver { return &shipmentResolver{r} }

// ShipmentConnection returns the ShipmentConnection field resolvers.
func (r *Resolver) ShipmentConnection() generated.ShipmentConnectionResolver {
	return &shipmentConnectionResolver{r}
}

type shipmentResolver struct{ *Resolver }
type shipmentConnectionResolver struct{ *Resolver }

func (r *queryResolver) Shipment(ctx context.Context, id string) (*store.Shipment, error) {
	return bySeller(ctx, func(sellerID string) (store.Shipment, error) { return r.Store.Shipment(ctx, sellerID, id) })
}

func (r *queryResolver) ShipmentsByTrackingNumber(ctx context.Context, trackingNumber string) ([]*store.Shipment, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	norm := tracking.Normalize(trackingNumber)
	if norm == "" {
		return nil, badInput("trackingNumber", "has no letters or digits")
	}
	list, err := r.Store.ShipmentsByTrackingNumber(ctx, sellerID, norm)
	if err != nil {
		return nil, err
	}
	return ptrs(list), nil
}

func (r *queryResolver) Shipments(ctx context.Context, filter *model.ShipmentFilter, first *int, after *string) (*model.ShipmentConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	f := shipmentFilter(filter)
	page, err := r.Store.Shipments(ctx, sellerID, f, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.ShipmentConnection{SellerID: sellerID, Filter: f, PageInfo: pageInfo(page, cursor)}
	nodes := ptrs(page.Items)
	for i, n := range nodes {
		conn.Edges = append(conn.Edges, &model.ShipmentEdge{Cursor: page.Cursors[i].Encode(), Node: n})
	}
	r.notePage(ctx, sellerID, nodes)
	if conn.Edges == nil {
		conn.Edges = []*model.ShipmentEdge{}
	}
	return conn, nil
}

func (r *shipmentConnectionResolver) TotalCount(ctx context.Context, obj *model.ShipmentConnection) (int, error) {
	return r.Store.CountShipments(ctx, obj.SellerID, obj.Filter)
}

func (r *mutationResolver) CreateShipment(ctx context.Context, input model.ShipmentInput) (*store.Shipment, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Monitor.CreateShipments(ctx, sellerID, []shipment.Input{shipmentInput(&input)})
	if err != nil {
		return nil, err
	}
	if res[0].Err != nil {
		return nil, res[0].Err
	}
	return res[0].Shipment, nil
}

func (r *mutationResolver) CreateShipments(ctx context.Context, input []*model.ShipmentInput) (*model.CreateShipmentsPayload, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	ins := make([]shipment.Input, len(input))
	for i, in := range input {
		ins[i] = shipmentInput(in)
	}
	res, err := r.Monitor.CreateShipments(ctx, sellerID, ins)
	if err != nil {
		return nil, err
	}
	out := &model.CreateShipmentsPayload{Shipments: make([]*store.Shipment, len(res)), Errors: []*model.ItemError{}}
	for i, it := range res {
		if it.Err != nil {
			out.Errors = append(out.Errors, itemError(i, it.Err))
			continue
		}
		out.Shipments[i] = it.Shipment
		if it.Created {
			out.Created++
		} else {
			out.Updated++
		}
	}
	return out, nil
}

func (r *mutationResolver) UpdateShipment(ctx context.Context, id string, input model.ShipmentUpdateInput) (*store.Shipment, error) {
	return bySeller(ctx, func(sellerID string) (store.Shipment, error) {
		return r.Monitor.UpdateShipment(ctx, sellerID, id, func(in *shipment.Input) { applyUpdate(in, input) })
	})
}

func (r *mutationResolver) CancelShipment(ctx context.Context, id string, by *shipment.CancelledBy) (*store.Shipment, error) {
	party := shipment.CancelledBySeller
	if by != nil {
		party = *by
	}
	return bySeller(ctx, func(sellerID string) (store.Shipment, error) {
		return r.Monitor.CancelShipment(ctx, sellerID, id, party)
	})
}

func (r *mutationResolver) RecordReturn(ctx context.Context, id string, returnedAt *time.Time) (*store.Shipment, error) {
	return bySeller(ctx, func(sellerID string) (store.Shipment, error) {
		return r.Monitor.RecordReturn(ctx, sellerID, id, returnedAt, time.Now())
	})
}

func (r *shipmentResolver) CancelledBy(_ context.Context, obj *store.Shipment) (*shipment.CancelledBy, error) {
	if obj.CancelledBy == "" {
		return nil, nil
	}
	by := shipment.CancelledBy(obj.CancelledBy)
	return &by, nil
}

func (r *shipmentResolver) Carrier(_ context.Context, obj *store.Shipment) (*string, error) {
	return nullable(obj.Carrier), nil
}

func (r *shipmentResolver) TrackingNumber(_ context.Context, obj *store.Shipment) (*string, error) {
	return nullable(obj.TrackingNumber), nil
}

func (r *shipmentResolver) NormalizedTrackingNumber(_ context.Context, obj *store.Shipment) (*string, error) {
	return nullable(obj.NormalizedTrackingNumber), nil
}

func (r *shipmentResolver) Service(_ context.Context, obj *store.Shipment) (*string, error) {
	return nullable(obj.Service), nil
}

func (r *shipmentResolver) Origin(_ context.Context, obj *store.Shipment) (*model.Origin, error) {
	return &model.Origin{PostalCode: nullable(obj.OriginPostalCode), Country: nullable(obj.OriginCountry)}, nil
}

func (r *shipmentResolver) Destination(_ context.Context, obj *store.Shipment) (*model.Destination, error) {
	return &model.Destination{PostalCode: nullable(obj.DestinationPostalCode), Country: nullable(obj.DestinationCountry)}, nil
}

func (r *shipmentResolver) Status(_ context.Context, obj *store.Shipment) (model.ShipmentStatus, error) {
	return model.ShipmentStatus(obj.Status), nil
}

// pageArgs checks `first` and `after`.
func pageArgs(first *int, after *string) (int, store.Cursor, error) {
	limit := 50
	if first != nil {
		limit = *first
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, store.Cursor{}, badInput("first", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	var cursor store.Cursor
	if after != nil {
		var err error
		if cursor, err = store.DecodeCursor(*after); err != nil {
			return 0, store.Cursor{}, err
		}
	}
	return limit, cursor, nil
}

// pageInfo describes a page read after the cursor `after` (zero for the
// first page). Pages go forward only (first/after), so hasPreviousPage
// says whether the page was read after a cursor: there is then at least
// the item that cursor came from before it, as the Relay specification
// allows a server to answer without counting.
func pageInfo[T any](p store.Page[T], after store.Cursor) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: after.ID != ""}
	if n := len(p.Cursors); n > 0 {
		start, end := p.Cursors[0].Encode(), p.Cursors[n-1].Encode()
		info.StartCursor, info.EndCursor = &start, &end
	}
	return info
}

func shipmentFilter(f *model.ShipmentFilter) store.ShipmentFilter {
	if f == nil {
		return store.ShipmentFilter{}
	}
	out := store.ShipmentFilter{
		Created: timeRange(f.CreatedAt), Shipped: timeRange(f.ShippedAt),
		ShipBy: timeRange(f.ShipBy), DeliverBy: timeRange(f.DeliverBy),
	}
	for _, s := range f.Statuses {
		out.Statuses = append(out.Statuses, string(s))
	}
	for _, c := range f.Carriers {
		if code, ok := tracking.ResolveCarrier(c); ok {
			c = code
		}
		out.Carriers = append(out.Carriers, c)
	}
	if f.OrderID != nil {
		out.OrderID = *f.OrderID
	}
	if f.TrackingNumber != nil {
		// A number that normalises to nothing matches nothing, not everything.
		out.NormalizedTrackingNumber = tracking.Normalize(*f.TrackingNumber)
		if out.NormalizedTrackingNumber == "" {
			out.NormalizedTrackingNumber = " "
		}
	}
	return out
}

func timeRange(r *model.TimeRange) *store.TimeRange {
	if r == nil {
		return nil
	}
	return &store.TimeRange{From: r.From, To: r.To}
}

func shipmentInput(in *model.ShipmentInput) shipment.Input {
	out := shipment.Input{
		OrderID: in.OrderID, Carrier: deref(in.Carrier), TrackingNumber: deref(in.TrackingNumber),
		Service: deref(in.Service), ShipBy: in.ShipBy, ShippedAt: in.ShippedAt, DeliverBy: in.DeliverBy,
	}
	if in.Destination != nil {
		out.PostalCode, out.Country = deref(in.Destination.PostalCode), deref(in.Destination.Country)
	}
	if in.Origin != nil {
		out.Origin = shipment.Place{PostalCode: deref(in.Origin.PostalCode), Country: deref(in.Origin.Country)}
	}
	return out
}

// applyUpdate applies the fields present in an update: an omitted field is
// kept, an explicit null clears it.
func applyUpdate(in *shipment.Input, u model.ShipmentUpdateInput) {
	setString(&in.OrderID, u.OrderID)
	setString(&in.Carrier, u.Carrier)
	setString(&in.TrackingNumber, u.TrackingNumber)
	setString(&in.Service, u.Service)
	setTime(&in.ShipBy, u.ShipBy)
	setTime(&in.ShippedAt, u.ShippedAt)
	setTime(&in.DeliverBy, u.DeliverBy)
	if d, ok := u.Destination.ValueOK(); ok {
		in.PostalCode, in.Country = "", ""
		if d != nil {
			in.PostalCode, in.Country = deref(d.PostalCode), deref(d.Country)
		}
	}
	if o, ok := u.Origin.ValueOK(); ok {
		in.Origin = shipment.Place{}
		if o != nil {
			in.Origin = shipment.Place{PostalCode: deref(o.PostalCode), Country: deref(o.Country)}
		}
	}
}

func setString(dst *string, v graphql.Omittable[*string]) {
	if p, ok := v.ValueOK(); ok {
		*dst = deref(p)
	}
}

func setTime(dst **time.Time, v graphql.Omittable[*time.Time]) {
	if p, ok := v.ValueOK(); ok {
		*dst = p
	}
}

func itemError(index int, err *shipment.FieldError) *model.ItemError {
	field := err.Field
	return &model.ItemError{Index: index, Field: &field, Code: CodeBadUserInput, Message: fmt.Sprintf("input[%d].%s: %s", index, err.Field, err.Message)}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptrs[T any](v []T) []*T {
	out := make([]*T, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}
