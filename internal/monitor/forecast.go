package monitor

import (
	"context"
	"fmt"
	"maps"
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

// parcelOf is a shipment as the forecast sees it: its origin, else the
// seller's default, else where its first scan was (scans, by shipment id);
// ok false when it is not shipped, or delivered, or cancelled.
func parcelOf(sh store.Shipment, set store.SellerSettings, scans map[string][2]string) (forecast.Parcel, bool) {
	shipped := sh.ShippedAt
	if shipped == nil {
		shipped = sh.FirstScanAt
	}
	if shipped == nil || sh.DeliveredAt != nil || sh.CancelledAt != nil {
		return forecast.Parcel{}, false
	}
	return forecast.Parcel{Lane: shipmentLane(sh, set, scans), ShippedAt: *shipped, DeliverBy: sh.DeliverBy}, true
}

// shipmentLane is a shipment's lane, shipped or not, as parcelOf and
// learnDeliveries (through DeliveriesToLearn) place it.
func shipmentLane(sh store.Shipment, set store.SellerSettings, scans map[string][2]string) forecast.Lane {
	carrier := sh.Carrier
	if carrier == "" {
		carrier = sh.TrackingCarrier
	}
	op, oc := sh.OriginPostalCode, sh.OriginCountry
	if op == "" {
		op, oc = set.OriginPostalCode, set.OriginCountry
	}
	if op == "" {
		op, oc = scans[sh.ID][0], scans[sh.ID][1]
	}
	return laneOf(carrier, sh.Service, op, oc, sh.DestinationPostalCode, sh.DestinationCountry)
}

// needsPlace says whether a shipment's lane needs its first scan's place:
// no origin of its own nor the seller's, and a first scan.
func needsPlace(sh store.Shipment, set store.SellerSettings) bool {
	return set.OriginPostalCode == "" && sh.OriginPostalCode == "" && sh.FirstScanAt != nil
}

// firstScans reads where the first scan of the shipments that have no
// origin of their own was, when the seller has no default either: one
// query, or none.
func firstScans(ctx context.Context, st *store.Store, q sqlx.QueryerContext, sellerID string, set store.SellerSettings, shs []store.Shipment) (map[string][2]string, error) {
	if set.OriginPostalCode != "" {
		return nil, nil
	}
	var ids, numbers []string
	for _, sh := range shs {
		if needsPlace(sh, set) {
			ids, numbers = append(ids, sh.ID), append(numbers, sh.NormalizedTrackingNumber)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return st.FirstScanPlaces(ctx, q, sellerID, ids, numbers)
}

// histograms reads the seller's histograms of every key of the lanes, as
// of now: one query.
func histograms(ctx context.Context, st *store.Store, q sqlx.QueryerContext, sellerID string, lanes []forecast.Lane, now time.Time) (map[string]*forecast.Histogram, error) {
	seen := map[string]bool{}
	var keys []string
	for _, l := range lanes {
		for _, k := range l.Keys() {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	obs, err := laneObservations(ctx, st, q, sellerID, keys, forecast.WeekOf(now).AddDate(0, 0, -7*historyWeeks))
	if err != nil {
		return nil, err
	}
	return forecast.Build(obs, now), nil
}

// laneObservations reads the seller's lane histogram rows of the keys from
// the week since on, as the forecast's observations: one query.
func laneObservations(ctx context.Context, st *store.Store, q sqlx.QueryerContext, sellerID string, keys []string, since time.Time) ([]forecast.Observation, error) {
	rows, err := st.LaneTransit(ctx, q, sellerID, keys, since)
	if err != nil {
		return nil, err
	}
	obs := make([]forecast.Observation, len(rows))
	for i, r := range rows {
		obs[i] = forecast.Observation{Key: r.Lane, Week: r.Week, Days: r.Days, N: r.Deliveries}
	}
	return obs, nil
}

// DeliveryForecasts forecasts each of the seller's shipments that is
// shipped (shippedAt or a first scan), not delivered and not cancelled, at
// now, from the seller's lane histograms: one read of the settings and one
// of the histograms of all their lanes. A shipment without any history is
// left out.
func DeliveryForecasts(ctx context.Context, st *store.Store, sellerID string, shs []store.Shipment, now time.Time) (map[string]forecast.Forecast, error) {
	r, err := ReadForecasts(ctx, st, sellerID, shs, now)
	if err != nil {
		return nil, err
	}
	out, _, err := r.Forecasts(shs, now)
	return out, err
}

// ForecastReads is what DeliveryForecasts reads for some shipments: the
// seller's settings, the first-scan places of those without an origin,
// and the lane histograms' rows of their lanes from a week on. It
// forecasts those shipments, or any of them, at any instant of a week
// whose history starts that week, as DeliveryForecasts would with the
// same rows in the database. Read only after it is made; safe to share.
type ForecastReads struct {
	sellerID string
	set      store.SellerSettings
	loc      *time.Location
	asked    map[string]bool // the shipments whose first-scan place was asked for
	scans    map[string][2]string
	since    time.Time
	keys     map[string]bool
	obs      []forecast.Observation
}

// ReadForecasts reads what forecasting shs at now needs: the settings,
// then the first scans and the histograms in one snapshot.
func ReadForecasts(ctx context.Context, st *store.Store, sellerID string, shs []store.Shipment, now time.Time) (*ForecastReads, error) {
	set, err := st.SellerSettings(ctx, sellerID)
	if err != nil {
		return nil, err
	}
	r := &ForecastReads{sellerID: sellerID, set: set, asked: map[string]bool{}, keys: map[string]bool{},
		since: forecast.WeekOf(now).AddDate(0, 0, -7*historyWeeks)}
	if r.loc, err = time.LoadLocation(set.TimeZone); err != nil {
		return nil, fmt.Errorf("delivery forecasts: seller time zone: %w", err)
	}
	err = st.Transact(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r.scans, err = firstScans(ctx, st, tx, sellerID, set, shs); err != nil {
			return err
		}
		for _, sh := range shs {
			if needsPlace(sh, set) {
				r.asked[sh.ID] = true
			}
		}
		var keys []string
		for _, sh := range shs {
			if p, ok := parcelOf(sh, set, r.scans); ok && sh.SellerID == sellerID {
				for _, k := range p.Lane.Keys() {
					if !r.keys[k] {
						r.keys[k] = true
						keys = append(keys, k)
					}
				}
			}
		}
		if len(keys) == 0 {
			return nil
		}
		r.obs, err = laneObservations(ctx, st, tx, sellerID, keys, r.since)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Forecasts forecasts shs at now from what r read, as DeliveryForecasts
// does: the histograms built from the rows of shs's lanes only. ok is
// false (and nothing forecast) when r cannot answer: its history starts
// another week, or a shipment's first-scan place or lane was not read.
func (r *ForecastReads) Forecasts(shs []store.Shipment, now time.Time) (out map[string]forecast.Forecast, ok bool, err error) {
	if !forecast.WeekOf(now).AddDate(0, 0, -7*historyWeeks).Equal(r.since) {
		return nil, false, nil
	}
	ids := map[string]forecast.Parcel{}
	keys := map[string]bool{}
	for _, sh := range shs {
		if needsPlace(sh, r.set) && !r.asked[sh.ID] {
			return nil, false, nil
		}
		p, ok := parcelOf(sh, r.set, r.scans)
		if !ok || sh.SellerID != r.sellerID {
			continue
		}
		ids[sh.ID] = p
		for _, k := range p.Lane.Keys() {
			if !r.keys[k] {
				return nil, false, nil
			}
			keys[k] = true
		}
	}
	out = map[string]forecast.Forecast{}
	if len(ids) == 0 {
		return out, true, nil
	}
	obs := r.obs
	if len(keys) < len(r.keys) {
		obs = make([]forecast.Observation, 0, len(r.obs))
		for _, o := range r.obs {
			if keys[o.Key] {
				obs = append(obs, o)
			}
		}
	}
	hists := forecast.Build(obs, now)
	for id, p := range ids {
		f, err := forecast.Predict(p, hists, now, r.loc)
		if err == forecast.ErrNoHistory {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out[id] = f
	}
	return out, true, nil
}

// Follow returns r brought up to date for forecasting due, given the
// shipments written since r's reads (changed, any of them, open or not):
// the first-scan places of the changed shipments and of those of due not
// asked yet are read again, and the histogram rows of the keys of the
// changed shipments' lanes that r holds (a delivery adds itself to its
// lane's keys in the transaction that writes its shipment), and of due's
// keys r does not hold. r itself is not changed. ok is false when r
// cannot be followed (its history starts another week): read afresh.
func (r *ForecastReads) Follow(ctx context.Context, st *store.Store, changed, due []store.Shipment, now time.Time) (*ForecastReads, bool, error) {
	if !forecast.WeekOf(now).AddDate(0, 0, -7*historyWeeks).Equal(r.since) {
		return nil, false, nil
	}
	next := &ForecastReads{sellerID: r.sellerID, set: r.set, loc: r.loc, since: r.since,
		asked: maps.Clone(r.asked), scans: maps.Clone(r.scans), keys: maps.Clone(r.keys)}
	if next.scans == nil {
		next.scans = map[string][2]string{}
	}
	var ask []store.Shipment
	for _, sh := range changed {
		delete(next.scans, sh.ID)
		if needsPlace(sh, r.set) {
			ask = append(ask, sh)
			next.asked[sh.ID] = true
		}
	}
	for _, sh := range due {
		if needsPlace(sh, r.set) && !next.asked[sh.ID] {
			ask = append(ask, sh)
			next.asked[sh.ID] = true
		}
	}
	reread := map[string]bool{}
	var keys []string
	add := func(k string) {
		if !reread[k] {
			reread[k] = true
			keys = append(keys, k)
		}
	}
	err := st.Transact(ctx, func(tx *sqlx.Tx) error {
		if len(ask) > 0 {
			places, err := firstScans(ctx, st, tx, r.sellerID, r.set, ask)
			if err != nil {
				return err
			}
			maps.Copy(next.scans, places)
		}
		for _, sh := range changed {
			if sh.SellerID != r.sellerID {
				continue
			}
			for _, k := range shipmentLane(sh, r.set, next.scans).Keys() {
				if r.keys[k] {
					add(k)
				}
			}
		}
		for _, sh := range due {
			if p, ok := parcelOf(sh, r.set, next.scans); ok && sh.SellerID == r.sellerID {
				for _, k := range p.Lane.Keys() {
					if !next.keys[k] {
						next.keys[k] = true
						add(k)
					}
				}
			}
		}
		if len(keys) == 0 {
			return nil
		}
		obs, err := laneObservations(ctx, st, tx, r.sellerID, keys, r.since)
		if err != nil {
			return err
		}
		next.obs = make([]forecast.Observation, 0, len(r.obs)+len(obs))
		for _, o := range r.obs {
			if !reread[o.Key] {
				next.obs = append(next.obs, o)
			}
		}
		next.obs = append(next.obs, obs...)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if len(keys) == 0 {
		next.obs = r.obs
	}
	return next, true, nil
}

// refreshRisk computes, in the check's transaction, when each checked
// shipment's probability of missing deliverBy passes the seller's
// threshold (forecast.RiskFrom), for DELIVERY_AT_RISK's forecast case to
// read. A check that holds no shipment that could be at risk costs one
// query.
func (s *Service) refreshRisk(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string) error {
	cands, err := s.store.RiskCandidates(ctx, tx, sellerID, ids)
	if err != nil || len(cands) == 0 {
		return err
	}
	set, err := s.store.SellerSettingsIn(ctx, tx, sellerID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return fmt.Errorf("forecast risk: seller time zone: %w", err)
	}
	shs := make([]store.Shipment, len(cands))
	for i, c := range cands {
		shs[i] = c.Shipment
	}
	scans, err := firstScans(ctx, s.store, tx, sellerID, set, shs)
	if err != nil {
		return err
	}
	parcels := make([]forecast.Parcel, len(cands))
	ok := make([]bool, len(cands))
	var lanes []forecast.Lane
	for i, c := range cands {
		parcels[i], ok[i] = parcelOf(c.Shipment, set, scans)
		if ok[i] && c.DeliverBy != nil {
			lanes = append(lanes, parcels[i].Lane)
		}
	}
	var hists map[string]*forecast.Histogram
	if len(lanes) > 0 {
		if hists, err = histograms(ctx, s.store, tx, sellerID, lanes, s.now()); err != nil {
			return err
		}
	}
	risks := make([]store.ForecastRisk, len(cands))
	for i, c := range cands {
		risks[i] = store.ForecastRisk{ShipmentID: c.ID}
		if !ok[i] {
			continue
		}
		if r, at := forecast.RiskFrom(parcels[i], hists, set.DeliveryRiskThreshold, loc); at {
			risks[i] = store.ForecastRisk{ShipmentID: c.ID, From: &r.From, Probability: r.Probability, Lane: r.Lane}
		}
	}
	return s.store.SetForecastRisk(ctx, tx, sellerID, risks)
}

// riskBatch bounds the shipments of one transaction of refreshAllRisk.
const riskBatch = 1000

// refreshAllRisk recomputes the forecast risk of every shipment of the
// seller that could be at risk, riskBatch at a time, each batch locking
// its rows first (ascending id, docs/locking.md) in its own transaction.
func (s *Service) refreshAllRisk(ctx context.Context, sellerID string) error {
	ids, err := s.store.UndeliveredWithDeadline(ctx, sellerID)
	if err != nil {
		return err
	}
	for start := 0; start < len(ids); start += riskBatch {
		batch := ids[start:min(start+riskBatch, len(ids))]
		err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
			locked, err := s.store.LockChecked(ctx, tx, sellerID, batch)
			if err != nil || len(locked) == 0 {
				return err
			}
			return s.refreshRisk(ctx, tx, sellerID, locked)
		})
		if err != nil {
			return fmt.Errorf("refresh forecast risk: %w", err)
		}
	}
	return nil
}
