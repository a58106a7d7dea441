package monitor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/store"
)

// historyWeeks is how far back a forecast reads a lane: at a half-life of
// 4 weeks, a delivery 26 weeks old weighs about 1% of one this week.
const historyWeeks = 26

// learnDeliveries adds the shipments that became DELIVERED among changes
// to the seller's lane histograms, in the transaction that delivered them:
// forecasts learn one delivery at a time, never by reading history again.
// A shipment is learned once, even if delivered again.
func (s *Service) learnDeliveries(ctx context.Context, tx *sqlx.Tx, sellerID string, changes []store.StatusChange) error {
	var ids []string
	for _, c := range changes {
		if c.To == "DELIVERED" {
			ids = append(ids, c.ShipmentID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ds, err := s.store.DeliveriesToLearn(ctx, tx, sellerID, ids)
	if err != nil || len(ds) == 0 {
		return err
	}
	loc, err := time.LoadLocation(ds[0].TimeZone)
	if err != nil {
		return fmt.Errorf("learn deliveries: seller time zone: %w", err)
	}
	type key struct {
		lane string
		week time.Time
		days int
	}
	n := map[key]int{}
	learned := make([]string, 0, len(ds))
	for _, d := range ds {
		days := min(forecast.BusinessDays(d.ShippedAt, d.DeliveredAt, loc), forecast.MaxDays)
		for _, k := range laneOf(d.Carrier, d.Service, d.OriginPostalCode, d.OriginCountry, d.DestPostalCode, d.DestCountry).Keys() {
			n[key{k, forecast.WeekOf(d.DeliveredAt), days}]++
		}
		learned = append(learned, d.ID)
	}
	counts := make([]store.TransitCount, 0, len(n))
	for k, v := range n {
		counts = append(counts, store.TransitCount{Lane: k.lane, Week: k.week, Days: k.days, Deliveries: v})
	}
	sort.Slice(counts, func(i, j int) bool {
		a, b := counts[i], counts[j]
		if a.Lane != b.Lane {
			return a.Lane < b.Lane
		}
		if !a.Week.Equal(b.Week) {
			return a.Week.Before(b.Week)
		}
		return a.Days < b.Days
	})
	return s.store.AddTransit(ctx, tx, sellerID, learned, counts)
}

// laneOf is a shipment's lane. A carrier unknown is "" (its own lane).
func laneOf(carrier, service, originPostal, originCountry, destPostal, destCountry string) forecast.Lane {
	return forecast.Lane{Carrier: carrier, Service: service,
		Origin: forecast.ZIP3(originPostal, originCountry), Dest: forecast.ZIP3(destPostal, destCountry)}
}

// DeliveryForecasts forecasts each of the seller's shipments that is
// shipped (shippedAt or a first scan), not delivered and not cancelled, at
// now, from the seller's lane histograms: one read of the settings and one
// of the histograms of all their lanes. A shipment without any history is
// left out.
func DeliveryForecasts(ctx context.Context, st *store.Store, sellerID string, shs []store.Shipment, now time.Time) (map[string]forecast.Forecast, error) {
	out := map[string]forecast.Forecast{}
	type open struct {
		id string
		p  forecast.Parcel
	}
	var parcels []open
	set, err := st.SellerSettings(ctx, sellerID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var keys []string
	for _, sh := range shs {
		shipped := sh.ShippedAt
		if shipped == nil {
			shipped = sh.FirstScanAt
		}
		if shipped == nil || sh.DeliveredAt != nil || sh.CancelledAt != nil || sh.SellerID != sellerID {
			continue
		}
		carrier := sh.Carrier
		if carrier == "" {
			carrier = sh.TrackingCarrier
		}
		op, oc := sh.OriginPostalCode, sh.OriginCountry
		if op == "" {
			op, oc = set.OriginPostalCode, set.OriginCountry
		}
		lane := laneOf(carrier, sh.Service, op, oc, sh.DestinationPostalCode, sh.DestinationCountry)
		parcels = append(parcels, open{sh.ID, forecast.Parcel{Lane: lane, ShippedAt: *shipped, DeliverBy: sh.DeliverBy}})
		for _, k := range lane.Keys() {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(parcels) == 0 {
		return out, nil
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("delivery forecasts: seller time zone: %w", err)
	}
	rows, err := st.LaneTransit(ctx, sellerID, keys, forecast.WeekOf(now).AddDate(0, 0, -7*historyWeeks))
	if err != nil {
		return nil, err
	}
	obs := make([]forecast.Observation, len(rows))
	for i, r := range rows {
		obs[i] = forecast.Observation{Key: r.Lane, Week: r.Week, Days: r.Days, N: r.Deliveries}
	}
	hists := forecast.Build(obs, now)
	for _, p := range parcels {
		f, err := forecast.Predict(p.p, hists, now, loc)
		if err == forecast.ErrNoHistory {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[p.id] = f
	}
	return out, nil
}
