package graph

import (
	"context"
	"strings"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// CarrierAccount returns the CarrierAccount field resolvers.
func (r *Resolver) CarrierAccount() generated.CarrierAccountResolver {
	return &carrierAccountResolver{r}
}

// SourceHealth returns the SourceHealth field resolvers.
func (r *Resolver) SourceHealth() generated.SourceHealthResolver { return &sourceHealthResolver{r} }

// DegradedCarrier returns the DegradedCarrier field resolvers.
func (r *Resolver) DegradedCarrier() generated.DegradedCarrierResolver {
	return &degradedCarrierResolver{r}
}

type carrierAccountResolver struct{ *Resolver }
type sourceHealthResolver struct{ *Resolver }
type degradedCarrierResolver struct{ *Resolver }

// Carrier writes the carrier as shipments do: its lower-case code.
func (r *degradedCarrierResolver) Carrier(_ context.Context, obj *source.CarrierHold) (string, error) {
	return strings.ToLower(obj.Carrier), nil
}

func (r *queryResolver) CarrierAccounts(ctx context.Context, first *int, after *string) (*model.CarrierAccountConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.CarrierAccounts(ctx, sellerID, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.CarrierAccountConnection{Edges: []*model.CarrierAccountEdge{}, PageInfo: pageInfo(page, cursor)}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.CarrierAccountEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *mutationResolver) AddCarrierAccount(ctx context.Context, input model.AddCarrierAccountInput) (*store.CarrierAccount, error) {
	return bySeller(ctx, func(sellerID string) (store.CarrierAccount, error) {
		in := monitor.CarrierAccountInput{Carrier: input.Carrier, ClientID: input.ClientID, ClientSecret: input.ClientSecret,
			HourlyBudget: input.HourlyBudget, DailyBudget: input.DailyBudget}
		if input.Environment != nil {
			in.Environment = *input.Environment
		}
		if input.BaseURL != nil {
			in.BaseURL = *input.BaseURL
		}
		return r.Carriers.CreateCarrierAccount(ctx, sellerID, in)
	})
}

func (r *mutationResolver) UpdateCarrierAccount(ctx context.Context, input model.UpdateCarrierAccountInput) (*store.CarrierAccount, error) {
	return bySeller(ctx, func(sellerID string) (store.CarrierAccount, error) {
		return r.Carriers.UpdateCarrierAccount(ctx, sellerID, input.ID, monitor.CarrierAccountUpdate{
			Environment: input.Environment, BaseURL: input.BaseURL, ClientID: input.ClientID, ClientSecret: input.ClientSecret,
			HourlyBudget: input.HourlyBudget, DailyBudget: input.DailyBudget,
			DefaultBudgets: input.DefaultBudgets != nil && *input.DefaultBudgets, Resume: input.Resume != nil && *input.Resume})
	})
}

func (r *mutationResolver) TestCarrierAccount(ctx context.Context, id string) (*monitor.CredentialsTest, error) {
	return bySeller(ctx, func(sellerID string) (monitor.CredentialsTest, error) {
		return r.Carriers.TestCarrierAccount(ctx, sellerID, id)
	})
}

func (r *mutationResolver) RemoveCarrierAccount(ctx context.Context, id string) (*store.CarrierAccount, error) {
	return bySeller(ctx, func(sellerID string) (store.CarrierAccount, error) {
		return r.Carriers.DeleteCarrierAccount(ctx, sellerID, id)
	})
}

func (r *carrierAccountResolver) Carrier(_ context.Context, obj *store.CarrierAccount) (carrier.Carrier, error) {
	return carrier.Carrier(obj.Carrier), nil
}

func (r *carrierAccountResolver) Environment(_ context.Context, obj *store.CarrierAccount) (carrier.Environment, error) {
	return carrier.Environment(obj.Environment), nil
}

func (r *carrierAccountResolver) BaseURL(_ context.Context, obj *store.CarrierAccount) (*string, error) {
	return nullable(obj.BaseURL), nil
}

func (r *carrierAccountResolver) HourlyBudget(_ context.Context, obj *store.CarrierAccount) (int, error) {
	h, _ := r.Carriers.Budget(*obj)
	return h, nil
}

func (r *carrierAccountResolver) DailyBudget(_ context.Context, obj *store.CarrierAccount) (int, error) {
	_, d := r.Carriers.Budget(*obj)
	return d, nil
}

func (r *carrierAccountResolver) Health(ctx context.Context, obj *store.CarrierAccount) (*source.Health, error) {
	return r.sourceHealth(ctx, obj.ID)
}

func (r *trackingSourceResolver) Health(ctx context.Context, obj *store.TrackingSource) (*source.Health, error) {
	return r.sourceHealth(ctx, obj.ID)
}

// sourceHealth loads a source's health through the response's loader:
// one query per page of sources or accounts.
func (r *Resolver) sourceHealth(ctx context.Context, id string) (*source.Health, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	h, err := r.loadersFrom(ctx, sellerID).health.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

func (r *sourceHealthResolver) State(_ context.Context, obj *source.Health) (source.State, error) {
	return obj.State(), nil
}

func (r *sourceHealthResolver) ErrorRate(_ context.Context, obj *source.Health) (float64, error) {
	return obj.ErrorRate(), nil
}

func (r *sourceHealthResolver) LastError(_ context.Context, obj *source.Health) (*string, error) {
	return nullable(obj.LastError), nil
}

func (r *sourceHealthResolver) DegradedReason(_ context.Context, obj *source.Health) (*string, error) {
	return nullable(obj.DegradedReason), nil
}

func (r *trackingEventResolver) OccurredLocal(_ context.Context, obj *store.Event) (*string, error) {
	return nullable(obj.OccurredLocal), nil
}
