package graph

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/health"
)

// HealthForecast returns the HealthForecast field resolvers.
func (r *Resolver) HealthForecast() generated.HealthForecastResolver {
	return &healthForecastResolver{r}
}

// HealthProjection returns the HealthProjection field resolvers.
func (r *Resolver) HealthProjection() generated.HealthProjectionResolver {
	return &healthProjectionResolver{r}
}

// SaveItem returns the SaveItem field resolvers.
func (r *Resolver) SaveItem() generated.SaveItemResolver { return &saveItemResolver{r} }

type healthForecastResolver struct{ *Resolver }
type healthProjectionResolver struct{ *Resolver }
type saveItemResolver struct{ *Resolver }

func (r *queryResolver) AccountHealthForecast(ctx context.Context, marketplace health.Marketplace) (*health.Outlook, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	return r.Health.Forecast(ctx, sellerID, marketplace, time.Time{})
}

// queueCursorPrefix marks a save-queue cursor: the item's place in the
// queue as ranked when the page was read.
const queueCursorPrefix = "queue:"

func encodeQueueCursor(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(queueCursorPrefix + strconv.Itoa(i)))
}

func decodeQueueCursor(s string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	n, perr := strconv.Atoi(strings.TrimPrefix(string(raw), queueCursorPrefix))
	if err != nil || !strings.HasPrefix(string(raw), queueCursorPrefix) || perr != nil || n < 0 {
		return 0, badInput("after", "is not a cursor of this queue")
	}
	return n, nil
}

func (r *queryResolver) SaveQueue(ctx context.Context, marketplace health.Marketplace, metric health.Metric, first *int, after *string) (*model.SaveQueueConnection, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	limit := 20
	if first != nil {
		limit = *first
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, badInput("first", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	offset := 0
	if after != nil {
		n, err := decodeQueueCursor(*after)
		if err != nil {
			return nil, err
		}
		offset = n + 1
	}
	page, err := r.Health.SaveQueue(ctx, sellerID, marketplace, metric, offset, limit, time.Time{})
	if err != nil {
		return nil, err
	}
	conn := &model.SaveQueueConnection{TotalCount: page.Total, Edges: []*model.SaveItemEdge{},
		PageInfo: &model.PageInfo{HasPreviousPage: page.Offset > 0, HasNextPage: page.Offset+len(page.Items) < page.Total}}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.SaveItemEdge{Cursor: encodeQueueCursor(page.Offset + i), Node: &page.Items[i]})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

func (r *healthForecastResolver) Projections(_ context.Context, obj *health.Outlook) ([]*health.Projection, error) {
	out := make([]*health.Projection, len(obj.Projections))
	for i := range obj.Projections {
		out[i] = &obj.Projections[i]
	}
	return out, nil
}

func (r *healthProjectionResolver) CurrentRate(_ context.Context, obj *health.Projection) (*float64, error) {
	return obj.Current.Value.Rate(), nil
}

func (r *healthProjectionResolver) CurrentStatus(_ context.Context, obj *health.Projection) (health.Status, error) {
	return obj.Current.Status, nil
}

func (r *saveItemResolver) SuggestedNumber(_ context.Context, obj *health.SaveItem) (*string, error) {
	return nullable(obj.SuggestedNumber), nil
}
