package graph

import (
	"context"
	"sort"

	"github.com/shipwatch/shipwatch/internal/flag"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Subscription returns the subscription resolvers.
func (r *Resolver) Subscription() generated.SubscriptionResolver { return &subscriptionResolver{r} }

type subscriptionResolver struct{ *Resolver }

// FlagRaised streams the flags raised on the seller's shipments by any
// process: the announcement carries ids, loaded here for this seller only.
func (r *subscriptionResolver) FlagRaised(ctx context.Context) (<-chan *flag.Flag, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	return stream(ctx, r.PubSub.Subscribe(ctx, pubsub.TopicFlagRaised, sellerID), func(ids []string) ([]flag.Flag, error) {
		flags, err := r.Store.FlagsByID(ctx, sellerID, ids)
		sort.Slice(flags, func(i, j int) bool { return flags[i].RaisedAt.Before(flags[j].RaisedAt) })
		return flags, err
	}, r.Resolver)
}

// ShipmentUpdated streams the seller's shipments whose status changed, in
// their state when loaded.
func (r *subscriptionResolver) ShipmentUpdated(ctx context.Context) (<-chan *store.Shipment, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	return stream(ctx, r.PubSub.Subscribe(ctx, pubsub.TopicShipmentUpdated, sellerID), func(ids []string) ([]store.Shipment, error) {
		return r.Store.ShipmentsByID(ctx, sellerID, ids)
	}, r.Resolver)
}

// stream turns announcements into loaded rows on a channel until ctx ends.
// A failed load is logged and skipped: the stream goes on.
func stream[T any](ctx context.Context, msgs <-chan pubsub.Message, load func([]string) ([]T, error), r *Resolver) (<-chan *T, error) {
	out := make(chan *T)
	go func() {
		defer close(out)
		for m := range msgs {
			rows, err := load(m.IDs)
			if err != nil {
				r.Log.ErrorContext(ctx, "subscription load failed", "topic", m.Topic, "err", err)
				continue
			}
			for i := range rows {
				select {
				case out <- &rows[i]:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
