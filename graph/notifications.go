package graph

import (
	"context"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/store"
)

// NotificationDelivery returns the NotificationDelivery field resolvers.
func (r *Resolver) NotificationDelivery() generated.NotificationDeliveryResolver {
	return &deliveryResolver{r}
}

// NotificationAttempt returns the NotificationAttempt field resolvers.
func (r *Resolver) NotificationAttempt() generated.NotificationAttemptResolver {
	return &attemptResolver{r}
}

type deliveryResolver struct{ *Resolver }
type attemptResolver struct{ *Resolver }

func (r *queryResolver) NotificationEndpoint(ctx context.Context) (*store.NotificationEndpoint, error) {
	return bySeller(ctx, func(sellerID string) (store.NotificationEndpoint, error) {
		return r.Store.NotificationEndpoint(ctx, sellerID)
	})
}

func (r *queryResolver) NotificationDeliveries(ctx context.Context, first *int, after *string) (*model.NotificationDeliveryConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.Deliveries(ctx, sellerID, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.NotificationDeliveryConnection{PageInfo: pageInfo(page, cursor), Edges: []*model.NotificationDeliveryEdge{}, SellerID: sellerID}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.NotificationDeliveryEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *mutationResolver) SetNotificationEndpoint(ctx context.Context, url string) (*model.SetNotificationEndpointPayload, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	ep, secret, err := r.Monitor.SetNotificationEndpoint(ctx, sellerID, url)
	if err != nil {
		return nil, err
	}
	return &model.SetNotificationEndpointPayload{Endpoint: &ep, Secret: secret}, nil
}

func (r *mutationResolver) RemoveNotificationEndpoint(ctx context.Context) (bool, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return false, err
	}
	return r.Store.DeleteNotificationEndpoint(ctx, sellerID)
}

func (r *deliveryResolver) State(_ context.Context, obj *store.Delivery) (model.NotificationState, error) {
	return model.NotificationState(obj.State), nil
}

func (r *deliveryResolver) Attempts(_ context.Context, obj *store.Delivery) ([]*store.Attempt, error) {
	return ptrs(obj.Attempts), nil
}

func (r *attemptResolver) StatusCode(_ context.Context, obj *store.Attempt) (*int, error) {
	if obj.StatusCode == 0 {
		return nil, nil
	}
	return &obj.StatusCode, nil
}

func (r *attemptResolver) Error(_ context.Context, obj *store.Attempt) (*string, error) {
	return nullable(obj.Error), nil
}

func (r *attemptResolver) DurationMs(_ context.Context, obj *store.Attempt) (int, error) {
	return int(obj.DurationMS), nil
}

// NotificationDeliveryConnection returns the NotificationDeliveryConnection field resolvers.
func (r *Resolver) NotificationDeliveryConnection() generated.NotificationDeliveryConnectionResolver {
	return &notificationDeliveryConnectionResolver{r}
}

type notificationDeliveryConnectionResolver struct{ *Resolver }

func (r *notificationDeliveryConnectionResolver) TotalCount(ctx context.Context, obj *model.NotificationDeliveryConnection) (int, error) {
	return r.Store.CountDeliveries(ctx, obj.SellerID)
}
