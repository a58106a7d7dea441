package graph

import (
	"context"
	"regexp"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Dispute returns the Dispute field resolvers.
func (r *Resolver) Dispute() generated.DisputeResolver { return &disputeResolver{r} }

// DisputeConnection returns the DisputeConnection field resolvers.
func (r *Resolver) DisputeConnection() generated.DisputeConnectionResolver {
	return &disputeConnectionResolver{r}
}

type disputeResolver struct{ *Resolver }
type disputeConnectionResolver struct{ *Resolver }

func (r *queryResolver) Dispute(ctx context.Context, id string) (*store.Dispute, error) {
	return bySeller(ctx, func(sellerID string) (store.Dispute, error) { return r.Store.Dispute(ctx, sellerID, id) })
}

// uuidPattern is the form of Shipwatch's ids; a filter on anything else
// matches nothing.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (r *queryResolver) Disputes(ctx context.Context, filter *model.DisputeFilter, first *int, after *string) (*model.DisputeConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	var f store.DisputeFilter
	if filter != nil {
		for _, s := range filter.Statuses {
			f.Statuses = append(f.Statuses, string(s))
		}
		for _, k := range filter.Kinds {
			f.Kinds = append(f.Kinds, string(k))
		}
		if filter.ShipmentID != nil {
			if !uuidPattern.MatchString(*filter.ShipmentID) {
				return nil, badInput("filter.shipmentId", "is not a shipment id")
			}
			f.ShipmentID = *filter.ShipmentID
		}
		f.RespondBy = timeRange(filter.RespondBy)
	}
	page, err := r.Store.Disputes(ctx, sellerID, f, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.DisputeConnection{SellerID: sellerID, Filter: f, PageInfo: pageInfo(page, cursor), Edges: []*model.DisputeEdge{}}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.DisputeEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *disputeConnectionResolver) TotalCount(ctx context.Context, obj *model.DisputeConnection) (int, error) {
	return r.Store.CountDisputes(ctx, obj.SellerID, obj.Filter)
}

func (r *mutationResolver) OpenDispute(ctx context.Context, input model.DisputeInput) (*store.Dispute, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	d, err := r.Monitor.OpenDispute(ctx, sellerID, input.ShipmentID, shipment.DisputeInput{
		Kind: shipment.DisputeKind(input.Kind), ExternalReference: deref(input.ExternalReference),
		RespondBy: input.RespondBy, Amount: decimal(input.Amount), Currency: deref(input.Currency), Note: deref(input.Note),
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (r *mutationResolver) UpdateDispute(ctx context.Context, id string, input model.DisputeUpdateInput) (*store.Dispute, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	d, err := r.Monitor.UpdateDispute(ctx, sellerID, id, func(in *shipment.DisputeInput) {
		if k, ok := input.Kind.ValueOK(); ok && k != nil {
			in.Kind = shipment.DisputeKind(*k)
		}
		setString(&in.ExternalReference, input.ExternalReference)
		setTime(&in.RespondBy, input.RespondBy)
		if a, ok := input.Amount.ValueOK(); ok {
			in.Amount = decimal(a)
		}
		setString(&in.Currency, input.Currency)
		setString(&in.Note, input.Note)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (r *mutationResolver) CloseDispute(ctx context.Context, id string, outcome model.DisputeOutcome) (*store.Dispute, error) {
	return bySeller(ctx, func(sellerID string) (store.Dispute, error) {
		return r.Monitor.CloseDispute(ctx, sellerID, id, shipment.DisputeOutcome(outcome))
	})
}

func (r *disputeResolver) Shipment(ctx context.Context, obj *store.Dispute) (*store.Shipment, error) {
	sh, err := r.shipmentOf(ctx, obj.SellerID, obj.ShipmentID)
	if err != nil {
		return nil, err
	}
	return &sh, nil
}

func (r *disputeResolver) Kind(_ context.Context, obj *store.Dispute) (model.DisputeKind, error) {
	return model.DisputeKind(obj.Kind), nil
}

func (r *disputeResolver) ExternalReference(_ context.Context, obj *store.Dispute) (*string, error) {
	return nullable(obj.ExternalReference), nil
}

func (r *disputeResolver) Amount(_ context.Context, obj *store.Dispute) (*model.Decimal, error) {
	if obj.Amount == nil {
		return nil, nil
	}
	d := model.Decimal(*obj.Amount)
	return &d, nil
}

func (r *disputeResolver) Currency(_ context.Context, obj *store.Dispute) (*string, error) {
	return nullable(obj.Currency), nil
}

func (r *disputeResolver) Note(_ context.Context, obj *store.Dispute) (*string, error) {
	return nullable(obj.Note), nil
}

func (r *disputeResolver) Status(_ context.Context, obj *store.Dispute) (model.DisputeStatus, error) {
	return model.DisputeStatus(obj.Status), nil
}

func (r *disputeResolver) Outcome(_ context.Context, obj *store.Dispute) (*model.DisputeOutcome, error) {
	if obj.Outcome == nil {
		return nil, nil
	}
	o := model.DisputeOutcome(*obj.Outcome)
	return &o, nil
}

func (r *disputeResolver) EvidencePDFURL(_ context.Context, obj *store.Dispute) (string, error) {
	return monitor.EvidencePackURL(r.Evidence.PublicURL, obj.ID, "pdf"), nil
}

func (r *disputeResolver) EvidenceJSONURL(_ context.Context, obj *store.Dispute) (string, error) {
	return monitor.EvidencePackURL(r.Evidence.PublicURL, obj.ID, "json"), nil
}

func decimal(d *model.Decimal) string {
	if d == nil {
		return ""
	}
	return string(*d)
}
