package graph

import (
	"context"
	"regexp"

	"github.com/shipwatch/shipwatch/internal/flag"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Flag returns the Flag field resolvers.
func (r *Resolver) Flag() generated.FlagResolver { return &flagResolver{r} }

// FlagConnection returns the FlagConnection field resolvers.
func (r *Resolver) FlagConnection() generated.FlagConnectionResolver {
	return &flagConnectionResolver{r}
}

// Seller returns the Seller field resolvers.
func (r *Resolver) Seller() generated.SellerResolver { return &sellerResolver{r} }

type flagResolver struct{ *Resolver }
type flagConnectionResolver struct{ *Resolver }
type sellerResolver struct{ *Resolver }

func (r *queryResolver) Flags(ctx context.Context, filter *model.FlagFilter, first *int, after *string) (*model.FlagConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	f, err := flagFilter(filter)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.Flags(ctx, sellerID, f, limit, cursor)
	if err != nil {
		return nil, err
	}
	return flagConnection(sellerID, f, page, cursor), nil
}

func (r *queryResolver) Flag(ctx context.Context, id string) (*flag.Flag, error) {
	return bySeller(ctx, func(sellerID string) (flag.Flag, error) { return r.Store.Flag(ctx, sellerID, id) })
}

func (r *mutationResolver) AcknowledgeFlag(ctx context.Context, id string) (*flag.Flag, error) {
	return bySeller(ctx, func(sellerID string) (flag.Flag, error) { return r.Monitor.AcknowledgeFlag(ctx, sellerID, id) })
}

func (r *mutationResolver) ResolveFlag(ctx context.Context, id string, note string) (*flag.Flag, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := r.Monitor.ResolveFlag(ctx, sellerID, id, note)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func (r *mutationResolver) UpdateSellerSettings(ctx context.Context, input model.SellerSettingsInput) (*store.SellerSettings, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	ch := monitor.SettingsChange{
		TimeZone: input.TimeZone, InactiveTrackingHours: input.InactiveTrackingHours, StalledDays: input.StalledDays,
		DeliveryRiskThreshold: input.DeliveryRiskThreshold,
	}
	if o := input.Origin; o != nil {
		ch.Origin = &shipment.Place{PostalCode: deref(o.PostalCode), Country: deref(o.Country)}
	}
	out, err := r.Monitor.UpdateSellerSettings(ctx, sellerID, ch)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (r *sellerResolver) Settings(ctx context.Context, obj *store.Seller) (*store.SellerSettings, error) {
	out, err := r.Store.SellerSettings(ctx, obj.ID)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Flags pages a shipment's flags. The first page of every shipment in a
// list is loaded in one query; a later page (after) is read alone.
func (r *shipmentResolver) Flags(ctx context.Context, obj *store.Shipment, open *bool, first *int, after *string) (*model.FlagConnection, error) {
	limit, cursor, err := pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	f := store.FlagFilter{ShipmentID: obj.ID, Open: open}
	if after != nil {
		page, err := r.Store.Flags(ctx, obj.SellerID, f, limit, cursor)
		if err != nil {
			return nil, err
		}
		return flagConnection(obj.SellerID, f, page, cursor), nil
	}
	key := flagsKey{shipment: obj.ID, open: -1, limit: limit + 1}
	if open != nil {
		key.open = 0
		if *open {
			key.open = 1
		}
	}
	rows, err := r.flagsOf(ctx, obj.SellerID, key)
	if err != nil {
		return nil, err
	}
	return flagConnection(obj.SellerID, f, store.FlagPage(rows, limit), cursor), nil
}

func (r *flagConnectionResolver) TotalCount(ctx context.Context, obj *model.FlagConnection) (int, error) {
	return r.Store.CountFlags(ctx, obj.SellerID, obj.Filter)
}

func (r *flagResolver) Shipment(ctx context.Context, obj *flag.Flag) (*store.Shipment, error) {
	if obj.ShipmentID == "" {
		return nil, nil // an account flag
	}
	sh, err := r.shipmentOf(ctx, obj.SellerID, obj.ShipmentID)
	if err != nil {
		return nil, err
	}
	return &sh, nil
}

func (r *flagResolver) Subject(_ context.Context, obj *flag.Flag) (*string, error) {
	return nullable(obj.Subject), nil
}

func (r *flagResolver) Resolution(_ context.Context, obj *flag.Flag) (*flag.Resolution, error) {
	if obj.Resolution == "" {
		return nil, nil
	}
	return &obj.Resolution, nil
}

func (r *flagResolver) ResolutionNote(_ context.Context, obj *flag.Flag) (*string, error) {
	return nullable(obj.ResolutionNote), nil
}

func (r *flagResolver) Open(_ context.Context, obj *flag.Flag) (bool, error) { return obj.Open(), nil }

func flagConnection(sellerID string, f store.FlagFilter, page store.Page[flag.Flag], cursor store.Cursor) *model.FlagConnection {
	conn := &model.FlagConnection{SellerID: sellerID, Filter: f, PageInfo: pageInfo(page, cursor), Edges: []*model.FlagEdge{}}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.FlagEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn
}

func flagFilter(f *model.FlagFilter) (store.FlagFilter, error) {
	if f == nil {
		return store.FlagFilter{}, nil
	}
	out := store.FlagFilter{Open: f.Open, RaisedAfter: f.RaisedAfter}
	out.Kinds = f.Kinds
	if f.ShipmentID != nil {
		if !uuidShape.MatchString(*f.ShipmentID) {
			return store.FlagFilter{}, badInput("filter.shipmentId", "is not a shipment id")
		}
		out.ShipmentID = *f.ShipmentID
	}
	return out, nil
}

// uuidShape matches the text form of a UUID, as ids are.
var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
