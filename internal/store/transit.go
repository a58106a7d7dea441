package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Delivered is a delivered shipment as the forecast learns it: its lane
// (the seller's default origin when it has none) and its transit.
type Delivered struct {
	ID               string    `db:"id"`
	Carrier          string    `db:"carrier"` // declared, else detected
	Service          string    `db:"service"`
	OriginPostalCode string    `db:"origin_postal_code"`
	OriginCountry    string    `db:"origin_country"`
	DestPostalCode   string    `db:"destination_postal_code"`
	DestCountry      string    `db:"destination_country"`
	TimeZone         string    `db:"time_zone"`
	ShippedAt        time.Time `db:"shipped_at"` // shippedAt, else the first scan
	DeliveredAt      time.Time `db:"delivered_at"`
}

// DeliveriesToLearn returns those of the shipments (ids) that are
// delivered, were shipped, and are not learned yet. The caller holds the
// rows' locks (RefreshShipments took them).
func (s *Store) DeliveriesToLearn(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]Delivered, error) {
	out := []Delivered{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT sh.id, CASE WHEN sh.carrier <> '' THEN sh.carrier ELSE sh.tracking_carrier END AS carrier, sh.service,
			CASE WHEN sh.origin_postal_code <> '' THEN sh.origin_postal_code
				WHEN se.origin_postal_code <> '' THEN se.origin_postal_code ELSE coalesce(fs.postal_code, '') END AS origin_postal_code,
			CASE WHEN sh.origin_postal_code <> '' THEN sh.origin_country
				WHEN se.origin_postal_code <> '' THEN se.origin_country ELSE coalesce(fs.country, '') END AS origin_country,
			sh.destination_postal_code, sh.destination_country, se.time_zone,
			coalesce(sh.shipped_at, sh.first_scan_at) AS shipped_at, sh.delivered_at
		FROM `+byKey("$2")+` sh JOIN sellers se ON se.id = sh.seller_id
		LEFT JOIN LATERAL (`+firstScanPlace+`) fs ON true
		WHERE sh.seller_id = $1 AND sh.delivered_at IS NOT NULL AND NOT sh.transit_learned
			AND sh.cancelled_at IS NULL AND coalesce(sh.shipped_at, sh.first_scan_at) IS NOT NULL
		ORDER BY sh.id`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("deliveries to learn: %w", mapErr(err))
	}
	return out, nil
}

// firstScanPlace is the location of sh's first carrier scan that names a
// postal code (a label is not a scan), read through the timeline index:
// the origin when neither the shipment nor the seller gives one.
const firstScanPlace = `SELECT e.postal_code, e.country FROM tracking_events e
	WHERE e.seller_id = sh.seller_id AND e.normalized_tracking_number = sh.normalized_tracking_number
		AND sh.normalized_tracking_number <> '' AND e.status NOT IN ('PENDING', 'LABEL_CREATED') AND e.postal_code <> ''
	ORDER BY e.occurred_at, e.id LIMIT 1`

// FirstScanPlaces returns, by shipment id, where the first carrier scan
// of each of the shipments (ids) was, for those whose scans name a postal
// code. numbers[i] is ids[i]'s normalised number as the caller read it:
// the events are read by it through the timeline index (the seller a
// column of a materialised CTE, as for byNumber), without reading the
// shipments again by key (25,000 of them took about 0.3 s for a
// forecast of 100,000 open shipments).
func (s *Store) FirstScanPlaces(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids, numbers []string) (map[string][2]string, error) {
	if len(ids) != len(numbers) {
		return nil, fmt.Errorf("first scan places: %d ids, %d numbers", len(ids), len(numbers))
	}
	rows := []struct {
		ID         string `db:"id"`
		PostalCode string `db:"postal_code"`
		Country    string `db:"country"`
	}{}
	err := sqlx.SelectContext(ctx, q, &rows, `
		WITH se AS MATERIALIZED (SELECT $1::uuid AS seller_id)
		SELECT sh.id, fs.postal_code, fs.country
		FROM (SELECT k.id, se.seller_id, k.number AS normalized_tracking_number
			FROM se, unnest($2::uuid[], $3::text[]) AS k(id, number)) sh
		CROSS JOIN LATERAL (`+firstScanPlace+`) fs`, sellerID, pq.Array(ids), pq.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("first scan places: %w", mapErr(err))
	}
	out := make(map[string][2]string, len(rows))
	for _, r := range rows {
		out[r.ID] = [2]string{r.PostalCode, r.Country}
	}
	return out, nil
}

// TransitCount is one row of lane_transit: deliveries of a lane in a week
// that took Days business days.
type TransitCount struct {
	Lane       string    `db:"lane"`
	Week       time.Time `db:"week"`
	Days       int       `db:"days"`
	Deliveries int       `db:"deliveries"`
}

// AddTransit adds counts to the seller's lane histograms and marks the
// shipments learned, in one statement. Rows are added in (lane, week,
// days) order, so concurrent learners lock them in the same order.
func (s *Store) AddTransit(ctx context.Context, q sqlx.ExecerContext, sellerID string, ids []string, counts []TransitCount) error {
	lanes, weeks, days, n := make([]string, len(counts)), make([]time.Time, len(counts)), make([]int64, len(counts)), make([]int64, len(counts))
	for i, c := range counts {
		lanes[i], weeks[i], days[i], n[i] = c.Lane, c.Week, int64(c.Days), int64(c.Deliveries)
	}
	_, err := q.ExecContext(ctx, `
		WITH added AS (
			INSERT INTO lane_transit (seller_id, lane, week, days, deliveries)
			SELECT $1, t.lane, t.week, t.days, t.n
			FROM unnest($2::text[], $3::date[], $4::int[], $5::int[]) AS t(lane, week, days, n)
			ORDER BY t.lane, t.week, t.days
			ON CONFLICT (seller_id, lane, week, days) DO UPDATE SET deliveries = lane_transit.deliveries + EXCLUDED.deliveries
		)
		UPDATE shipments SET transit_learned = true WHERE seller_id = $1 AND id = ANY($6::uuid[])`,
		sellerID, pq.Array(lanes), pq.Array(weeks), pq.Array(days), pq.Array(n), pq.Array(ids))
	if err != nil {
		return fmt.Errorf("add transit: %w", mapErr(err))
	}
	return nil
}

// LaneTransit returns the seller's histogram rows of the given lane keys
// from week since on, read by the primary key through q.
func (s *Store) LaneTransit(ctx context.Context, q sqlx.QueryerContext, sellerID string, lanes []string, since time.Time) ([]TransitCount, error) {
	out := []TransitCount{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT lane, week, days, deliveries FROM lane_transit
		WHERE seller_id = $1 AND lane = ANY($2::text[]) AND week >= $3::date`, sellerID, pq.Array(lanes), since)
	if err != nil {
		return nil, fmt.Errorf("lane transit: %w", mapErr(err))
	}
	return out, nil
}

// RiskCandidate is a shipment whose forecast risk a check computes.
type RiskCandidate struct {
	Shipment
	HasRisk bool `db:"has_risk"`
}

// RiskCandidates returns those of the locked shipments (ids) that could be
// at risk (shipped, undelivered, not cancelled, with a deliverBy) or carry
// a risk to clear, read in tx by key.
func (s *Store) RiskCandidates(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]RiskCandidate, error) {
	out := []RiskCandidate{}
	err := sqlx.SelectContext(ctx, q, &out, riskCandidatesSQL, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("risk candidates: %w", mapErr(err))
	}
	return out, nil
}

// riskCandidatesSQL reads each of the ids by primary key (byKey), whatever
// the statistics: with seller_id = $1 AND id = ANY($2) the planner read the
// seller's whole range of an index for each import batch, which grew with
// the table (docs/imports.md).
var riskCandidatesSQL = `
		SELECT ` + shipmentColumns + `, forecast_risk_from IS NOT NULL AS has_risk
		FROM ` + byKey("$2") + ` sh
		WHERE seller_id = $1
			AND (forecast_risk_from IS NOT NULL OR (delivered_at IS NULL AND cancelled_at IS NULL
				AND deliver_by IS NOT NULL AND coalesce(shipped_at, first_scan_at) IS NOT NULL))
		ORDER BY id`

// ForecastRisk is a shipment's computed risk; From nil clears it.
type ForecastRisk struct {
	ShipmentID  string
	From        *time.Time
	Probability float64
	Lane        string
}

// SetForecastRisk stores risks, writing only the rows whose risk changed.
func (s *Store) SetForecastRisk(ctx context.Context, q sqlx.ExecerContext, sellerID string, rs []ForecastRisk) error {
	if len(rs) == 0 {
		return nil
	}
	ids, froms, probs, lanes := make([]string, len(rs)), make([]*time.Time, len(rs)), make([]float64, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		ids[i], froms[i], probs[i], lanes[i] = r.ShipmentID, r.From, r.Probability, r.Lane
	}
	_, err := q.ExecContext(ctx, setForecastRiskSQL, sellerID, pq.Array(ids), pq.Array(froms), pq.Array(probs), pq.Array(lanes))
	if err != nil {
		return fmt.Errorf("set forecast risk: %w", mapErr(err))
	}
	return nil
}

// setForecastRiskSQL finds each shipment by primary key alone (OFFSET 0
// keeps the seller's condition out of the lookup), checks its seller, and
// updates it by primary key: with sh.seller_id = $1 on the updated
// table the planner hashed the seller's whole range for every import batch.
const setForecastRiskSQL = `
		UPDATE shipments sh SET forecast_risk_from = u.risk_from,
			forecast_miss_probability = CASE WHEN u.risk_from IS NULL THEN NULL ELSE u.prob END, forecast_lane = u.lane
		FROM unnest($2::uuid[], $3::timestamptz[], $4::float8[], $5::text[]) AS u(id, risk_from, prob, lane)
		CROSS JOIN LATERAL (SELECT id, seller_id FROM shipments WHERE id = u.id OFFSET 0) k
		WHERE k.seller_id = $1 AND sh.id = k.id
			AND (sh.forecast_risk_from, sh.forecast_miss_probability, sh.forecast_lane)
				IS DISTINCT FROM (u.risk_from, CASE WHEN u.risk_from IS NULL THEN NULL ELSE u.prob END, u.lane)`

// UndeliveredWithDeadline returns the ids of the seller's shipments that
// are not delivered nor cancelled and have a deliverBy, ascending, through
// the partial index of undelivered shipments.
func (s *Store) UndeliveredWithDeadline(ctx context.Context, sellerID string) ([]string, error) {
	out := []string{}
	err := sqlx.SelectContext(ctx, s.db, &out, `
		SELECT id FROM shipments
		WHERE seller_id = $1 AND delivered_at IS NULL AND cancelled_at IS NULL AND deliver_by IS NOT NULL
		ORDER BY id`, sellerID)
	if err != nil {
		return nil, fmt.Errorf("undelivered with deadline: %w", mapErr(err))
	}
	return out, nil
}
