package health_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/forecast/forecastsim"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// The projection's backtest: the delivery backtest's seeded histories
// (internal/forecast/forecastsim: lanes the model does not know, a carrier
// slowing down, a fortnight of late shipments from day 80 and one of
// unscanned parcels from day 100) replayed into the store day by day, at
// midnight UTC: the orders received, the parcels shipped (their numbers
// and shippedAt), and the carrier events (first scans and deliveries,
// through RecordEvents, which learns the lanes as the server does). At
// each midnight from day 35 the real projection (health.Service.Forecast,
// its now that midnight) projects Amazon's VTR (30 days), LSR (30) and OTD
// (14), each evaluated 7 days later; once the replay reaches the day after
// the evaluation, the realised rate is the standard counted at the end of
// the evaluation day (health.Service.Standards). The baseline forecast is
// today's rate: the same standard at the projection's midnight.

// backtestMetrics are the standards scored, with their window.
var backtestMetrics = []struct {
	metric health.Metric
	window int
}{{health.ValidTrackingRate, 30}, {health.LateShipmentRate, 30}, {health.OnTimeDeliveryRate, 14}}

// backtestFrom is the first day projected: the 30-day windows are full.
const backtestFrom = 35

type projected struct {
	day               int
	metric            health.Metric
	window            int
	evaluatedAt       time.Time
	projection, today *float64
}

// scored holds absolute errors, and the signed ones (projected minus
// realised) whose mean is the bias.
type scored struct{ projection, today, signedProjection, signedToday []float64 }

// replay loads seed's history for the seller and scores the projections.
func replay(ctx context.Context, db *sqlx.DB, svc interface {
	RecordEvents(context.Context, string, []shipment.Event) error
}, hs *health.Service, sellerID string, seed uint64) (map[health.Metric]*scored, error) {
	lanes, parcels := forecastsim.Simulate(seed)
	numbers := make([]string, len(parcels))
	for i := range parcels {
		numbers[i] = upsNumber(i, true)
	}
	var pending []projected
	out := map[health.Metric]*scored{}
	for _, m := range backtestMetrics {
		out[m.metric] = &scored{}
	}
	horizon := health.Horizon(30)
	prev := forecastsim.Start.AddDate(0, 0, -2)
	for day := 0; day <= forecastsim.Days+horizon+1; day++ {
		now := forecastsim.Start.AddDate(0, 0, day)
		if err := replayUntil(ctx, db, svc, sellerID, lanes, parcels, numbers, prev, now); err != nil {
			return nil, fmt.Errorf("day %d: %w", day, err)
		}
		prev = now
		// Score the projections whose evaluation day is over.
		rest := pending[:0]
		for _, p := range pending {
			if p.evaluatedAt.After(now) {
				rest = append(rest, p)
				continue
			}
			vs, err := hs.Standards(ctx, sellerID, health.Amazon, p.evaluatedAt)
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				if v.Metric != p.metric || v.WindowDays != p.window || v.Value.Rate() == nil || p.projection == nil || p.today == nil {
					continue
				}
				real := *v.Value.Rate()
				s := out[p.metric]
				s.projection = append(s.projection, math.Abs(*p.projection-real))
				s.today = append(s.today, math.Abs(*p.today-real))
				s.signedProjection = append(s.signedProjection, *p.projection-real)
				s.signedToday = append(s.signedToday, *p.today-real)
			}
		}
		pending = rest
		if day < backtestFrom || day+horizon >= forecastsim.Days {
			continue
		}
		o, err := hs.Forecast(ctx, sellerID, health.Amazon, now)
		if err != nil {
			return nil, err
		}
		for _, p := range o.Projections {
			for _, m := range backtestMetrics {
				if p.Metric == m.metric && p.WindowDays == m.window {
					pending = append(pending, projected{day, m.metric, m.window, p.EvaluatedAt, p.Rate(), p.Current.Value.Rate()})
				}
			}
		}
	}
	return out, nil
}

// replayUntil writes what happened in (from, to]: orders received,
// parcels shipped, then their carrier events.
func replayUntil(ctx context.Context, db *sqlx.DB, svc interface {
	RecordEvents(context.Context, string, []shipment.Event) error
}, sellerID string, lanes []forecastsim.Lane, parcels []forecastsim.Parcel, numbers []string, from, to time.Time) error {
	in := func(t time.Time) bool { return t.After(from) && !t.After(to) }
	var orders, services, dests, origins []string
	var created, shipBy, deliverBy []time.Time
	var shipped, shippedNumbers []string
	var shippedAt []time.Time
	var evs []shipment.Event
	for i, p := range parcels {
		l := lanes[p.Lane].Lane
		id := "B" + strconv.Itoa(i)
		if in(p.Created) {
			orders, services = append(orders, id), append(services, l.Carrier+"-"+l.Service)
			dests, origins = append(dests, l.Dest+"01"), append(origins, l.Origin+"01")
			created, shipBy, deliverBy = append(created, p.Created), append(shipBy, p.ShipBy), append(deliverBy, p.DeliverBy)
		}
		if in(p.Shipped) {
			shipped, shippedNumbers, shippedAt = append(shipped, id), append(shippedNumbers, numbers[i]), append(shippedAt, p.Shipped)
		}
		if p.Untracked {
			continue
		}
		if in(p.FirstScan) {
			evs = append(evs, shipment.Event{TrackingNumber: numbers[i], OccurredAt: p.FirstScan, Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice})
		}
		if in(p.Delivered) {
			evs = append(evs, shipment.Event{TrackingNumber: numbers[i], OccurredAt: p.Delivered, Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice})
		}
	}
	if len(orders) > 0 {
		// Orders without a number yet, received at their simulated time.
		if _, err := db.ExecContext(ctx, `
			INSERT INTO shipments (seller_id, order_id, carrier, service, status, created_at, updated_at, ship_by, deliver_by,
				destination_postal_code, destination_country, origin_postal_code, origin_country)
			SELECT $1, o.id, 'ups', o.service, 'PENDING', o.created, o.created, o.ship_by, o.deliver_by, o.dest, 'US', o.origin, 'US'
			FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[])
				AS o(id, service, created, ship_by, deliver_by, dest, origin)`,
			sellerID, pq.Array(orders), pq.Array(services), pq.Array(created), pq.Array(shipBy), pq.Array(deliverBy),
			pq.Array(dests), pq.Array(origins)); err != nil {
			return err
		}
	}
	if len(shipped) > 0 {
		// Shipping sends the number and shippedAt, as an update would.
		if _, err := db.ExecContext(ctx, `
			UPDATE shipments sh SET tracking_number = u.number, normalized_tracking_number = u.number, tracking_valid = true,
				tracking_carrier = 'ups', tracking_reason = '', shipped_at = u.at, tracking_received_at = u.at, updated_at = u.at
			FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS u(id, number, at)
			WHERE sh.seller_id = $1 AND sh.order_id = u.id`,
			sellerID, pq.Array(shipped), pq.Array(shippedNumbers), pq.Array(shippedAt)); err != nil {
			return err
		}
	}
	if len(evs) > 0 {
		sort.Slice(evs, func(i, j int) bool { return evs[i].OccurredAt.Before(evs[j].OccurredAt) })
		return svc.RecordEvents(ctx, sellerID, evs)
	}
	return nil
}

// recorder adapts monitor.Service.RecordEvents to replay's needs.
type recorder struct{ f *fixture }

func (r recorder) RecordEvents(ctx context.Context, sellerID string, evs []shipment.Event) error {
	_, err := r.f.svc.RecordEvents(ctx, sellerID, evs)
	return err
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func meanP90(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return sum / float64(len(s)), s[int(math.Ceil(0.9*float64(len(s))))-1]
}

// BenchmarkProjectionBacktest prints, per seed (SEEDS, default 3) and
// metric, the mean and p90 absolute error, in percentage points, of the
// projection made 7 days before evaluation and of today's rate (make
// bench-forecast). ns/op is the whole replay.
func BenchmarkProjectionBacktest(b *testing.B) {
	seeds := 3
	if v, err := strconv.Atoi(os.Getenv("SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	ctx := context.Background()
	f := newFixture(b)
	all := map[health.Metric]*scored{}
	for b.Loop() {
		for seed := 1; seed <= seeds; seed++ {
			s, err := f.st.InsertSeller(ctx, "Backtest "+strconv.Itoa(seed)+" "+strconv.Itoa(b.N))
			if err != nil {
				b.Fatal(err)
			}
			res, err := replay(ctx, f.db, recorder{f}, f.hs, s.ID, uint64(seed))
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range backtestMetrics {
				r := res[m.metric]
				pm, p9 := meanP90(r.projection)
				tm, t9 := meanP90(r.today)
				fmt.Printf("projection backtest seed %d: %s (%d days) evaluated 7 days ahead, %d days: abs error mean %.2f pp, p90 %.2f pp, bias %+.2f pp (baseline today's rate: mean %.2f pp, p90 %.2f pp, bias %+.2f pp)\n",
					seed, m.metric, m.window, len(r.projection), 100*pm, 100*p9, 100*mean(r.signedProjection), 100*tm, 100*t9, 100*mean(r.signedToday))
				if all[m.metric] == nil {
					all[m.metric] = &scored{}
				}
				a := all[m.metric]
				a.projection, a.today = append(a.projection, r.projection...), append(a.today, r.today...)
				a.signedProjection, a.signedToday = append(a.signedProjection, r.signedProjection...), append(a.signedToday, r.signedToday...)
			}
		}
	}
	for _, m := range backtestMetrics {
		r := all[m.metric]
		pm, p9 := meanP90(r.projection)
		tm, t9 := meanP90(r.today)
		fmt.Printf("projection backtest, all seeds: %s (%d days), %d projections: abs error mean %.2f pp, p90 %.2f pp, bias %+.2f pp (baseline today's rate: mean %.2f pp, p90 %.2f pp, bias %+.2f pp)\n",
			m.metric, m.window, len(r.projection), 100*pm, 100*p9, 100*mean(r.signedProjection), 100*tm, 100*t9, 100*mean(r.signedToday))
	}
}
