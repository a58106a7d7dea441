package graph

import (
	"context"
	"time"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// AccountHealth returns the AccountHealth field resolvers.
func (r *Resolver) AccountHealth() generated.AccountHealthResolver { return &accountHealthResolver{r} }

// HealthMetric returns the HealthMetric field resolvers.
func (r *Resolver) HealthMetric() generated.HealthMetricResolver { return &healthMetricResolver{r} }

// CarrierHealth returns the CarrierHealth field resolvers.
func (r *Resolver) CarrierHealth() generated.CarrierHealthResolver { return &carrierHealthResolver{r} }

type accountHealthResolver struct{ *Resolver }
type healthMetricResolver struct{ *Resolver }
type carrierHealthResolver struct{ *Resolver }

func (r *queryResolver) AccountHealth(ctx context.Context, marketplace *health.Marketplace, days *int) (*health.Report, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	m, d := health.Amazon, 30
	if marketplace != nil {
		m = *marketplace
	}
	if days != nil {
		d = *days
	}
	return r.Health.Report(ctx, sellerID, m, d, time.Time{})
}

func (r *accountHealthResolver) ValidTrackingRate(_ context.Context, obj *health.Report) (*health.MetricReport, error) {
	return obj.Metric(health.ValidTrackingRate), nil
}

func (r *accountHealthResolver) LateShipmentRate(_ context.Context, obj *health.Report) (*health.MetricReport, error) {
	return obj.Metric(health.LateShipmentRate), nil
}

func (r *accountHealthResolver) OnTimeDeliveryRate(_ context.Context, obj *health.Report) (*health.MetricReport, error) {
	return obj.Metric(health.OnTimeDeliveryRate), nil
}

func (r *accountHealthResolver) InvalidTrackingRate(_ context.Context, obj *health.Report) (*health.MetricReport, error) {
	return obj.Metric(health.InvalidTrackingRate), nil
}

func (r *accountHealthResolver) Standards(ctx context.Context, obj *health.Report) ([]*health.StandardValue, error) {
	list, err := r.Health.Standards(ctx, obj.SellerID, obj.Marketplace, obj.To)
	if err != nil {
		return nil, err
	}
	out := make([]*health.StandardValue, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out, nil
}

// HealthStandard returns the HealthStandard field resolvers.
func (r *Resolver) HealthStandard() generated.HealthStandardResolver {
	return &healthStandardResolver{r}
}

type healthStandardResolver struct{ *Resolver }

func (r *healthStandardResolver) Rate(_ context.Context, obj *health.StandardValue) (*float64, error) {
	return obj.Value.Rate(), nil
}

func (r *healthStandardResolver) SourceURL(_ context.Context, obj *health.StandardValue) (string, error) {
	return obj.URL, nil
}

func (r *healthMetricResolver) Shipments(ctx context.Context, obj *health.MetricReport, first *int, after *string, date *string, carrier *string) (*model.HealthShipmentConnection, error) {
	limit, cursor, err := pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	if carrier != nil && *carrier != "" {
		if code, ok := tracking.ResolveCarrier(*carrier); ok {
			carrier = &code
		}
	}
	page, err := r.Health.Shipments(ctx, obj, date, carrier, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.HealthShipmentConnection{PageInfo: pageInfo(page, cursor), TotalCount: obj.Count(date, carrier), Edges: []*model.ShipmentEdge{}}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.ShipmentEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *carrierHealthResolver) Carrier(_ context.Context, obj *health.CarrierValue) (*string, error) {
	return nullable(obj.Carrier), nil
}
