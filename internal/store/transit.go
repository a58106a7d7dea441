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
			CASE WHEN sh.origin_postal_code <> '' THEN sh.origin_postal_code ELSE se.origin_postal_code END AS origin_postal_code,
			CASE WHEN sh.origin_postal_code <> '' THEN sh.origin_country ELSE se.origin_country END AS origin_country,
			sh.destination_postal_code, sh.destination_country, se.time_zone,
			coalesce(sh.shipped_at, sh.first_scan_at) AS shipped_at, sh.delivered_at
		FROM shipments sh JOIN sellers se ON se.id = sh.seller_id
		WHERE sh.seller_id = $1 AND sh.id = ANY($2::uuid[]) AND sh.delivered_at IS NOT NULL AND NOT sh.transit_learned
			AND sh.cancelled_at IS NULL AND coalesce(sh.shipped_at, sh.first_scan_at) IS NOT NULL
		ORDER BY sh.id`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("deliveries to learn: %w", mapErr(err))
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
// from week since on, read by the primary key.
func (s *Store) LaneTransit(ctx context.Context, sellerID string, lanes []string, since time.Time) ([]TransitCount, error) {
	out := []TransitCount{}
	err := sqlx.SelectContext(ctx, s.db, &out, `
		SELECT lane, week, days, deliveries FROM lane_transit
		WHERE seller_id = $1 AND lane = ANY($2::text[]) AND week >= $3::date`, sellerID, pq.Array(lanes), since)
	if err != nil {
		return nil, fmt.Errorf("lane transit: %w", mapErr(err))
	}
	return out, nil
}
