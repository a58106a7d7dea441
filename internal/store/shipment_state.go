package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// StatusChange is a shipment whose status moved.
type StatusChange struct {
	ShipmentID string `db:"id"`
	From       string `db:"old_status"`
	To         string `db:"status"`
}

// RefreshShipments recomputes the event-derived state of the seller's
// shipments carrying the given normalised numbers: status, last event,
// delivery, carrier estimate and first scan. The latest event by
// occurred_at decides, whatever order events arrived in: a DELIVERED
// dated before later scans stays history. A cancelled shipment keeps its
// status. It returns the shipments whose status changed.
func (s *Store) RefreshShipments(ctx context.Context, q sqlx.ExtContext, sellerID string, numbers []string) ([]StatusChange, error) {
	_, changes, err := s.refresh(ctx, q, sellerID, numbers, nil)
	return changes, err
}

// RefreshWritten is RefreshShipments that also returns the ids of every
// shipment it locked (every shipment carrying the numbers, ascending id):
// the shipments an import batch then checks, holding their row locks. A
// second reading of the numbers' shipments could also return one written
// by another transaction since, whose lock the batch does not hold.
func (s *Store) RefreshWritten(ctx context.Context, q sqlx.ExtContext, sellerID string, numbers []string) (ids []string, changes []StatusChange, err error) {
	return s.refresh(ctx, q, sellerID, numbers, nil)
}

// RefreshLocked is RefreshShipments of these shipments only, whose row
// locks the caller holds (a check): the other shipments of their numbers,
// written since the caller locked, are left to their writers' own checks,
// so that the caller takes no row lock out of order (docs/locking.md).
func (s *Store) RefreshLocked(ctx context.Context, q sqlx.ExtContext, sellerID string, ids []string) ([]StatusChange, error) {
	numbers, err := s.TrackingNumbersOf(ctx, q, sellerID, ids)
	if err != nil {
		return nil, err
	}
	_, changes, err := s.refresh(ctx, q, sellerID, numbers, ids)
	return changes, err
}

// refresh returns the ids of the shipments it locked and those whose
// status changed.
func (s *Store) refresh(ctx context.Context, q sqlx.ExtContext, sellerID string, numbers, only []string) ([]string, []StatusChange, error) {
	locked := []StatusChange{}
	if len(numbers) == 0 {
		return []string{}, locked, nil
	}
	// Each number's events are read through the timeline index by (seller,
	// number), one LATERAL per number: the plan does not depend on
	// statistics, which a table filling during a load never has fresh
	// (with stale ones the planner read every event of the seller for
	// each batch); shipments likewise, by (seller, number) through
	// byNumber, and locked one by one by key in ascending id
	// (docs/locking.md).
	var ids any // NULL: every shipment of the numbers
	if only != nil {
		ids = pq.Array(only)
	}
	err := sqlx.SelectContext(ctx, q, &locked, refreshSQL, sellerID, pq.Array(numbers), ids)
	if err != nil {
		return nil, nil, fmt.Errorf("refresh shipments: %w", mapErr(err))
	}
	all := make([]string, len(locked))
	changes := []StatusChange{}
	for i, c := range locked {
		all[i] = c.ShipmentID
		if c.From != c.To {
			changes = append(changes, c)
		}
	}
	return all, changes, nil
}

// refreshSQL is RefreshShipments' statement: $1 the seller, $2 the
// numbers, $3 the only shipments to update (NULL for all of theirs). It
// returns every shipment it locked, in ascending id, with its status
// before and after (the same when the row was left as it was).
var refreshSQL = `
		WITH numbers AS (
			SELECT DISTINCT n FROM unnest($2::text[]) AS n WHERE n <> ''
		), state AS (
			SELECT numbers.n, l.status, l.occurred_at, l.source, e.estimated_delivery_at, sc.first_scan_at
			FROM numbers
			LEFT JOIN LATERAL (
				SELECT status, occurred_at, source FROM tracking_events
				WHERE seller_id = $1 AND normalized_tracking_number = numbers.n
				ORDER BY occurred_at DESC, id DESC LIMIT 1
			) l ON true
			LEFT JOIN LATERAL (
				SELECT estimated_delivery_at FROM tracking_events
				WHERE seller_id = $1 AND normalized_tracking_number = numbers.n AND estimated_delivery_at IS NOT NULL
				ORDER BY occurred_at DESC, id DESC LIMIT 1
			) e ON true
			LEFT JOIN LATERAL (
				SELECT min(occurred_at) AS first_scan_at FROM tracking_events
				WHERE seller_id = $1 AND normalized_tracking_number = numbers.n
					AND status NOT IN ('PENDING', 'LABEL_CREATED', 'CANCELLED')
			) sc ON true
		), seller AS MATERIALIZED (
			SELECT id FROM sellers WHERE id = $1
		), found AS MATERIALIZED (
			SELECT o.id, st.* FROM seller, state st
			CROSS JOIN LATERAL (` + byNumber("seller.id", "st.n") + `) o
			WHERE $3::uuid[] IS NULL OR o.id = ANY($3::uuid[])
		), target AS (
			SELECT sh.id, sh.status AS old_status,
				CASE WHEN sh.cancelled_at IS NOT NULL THEN 'CANCELLED' ELSE coalesce(f.status, 'PENDING') END AS status,
				f.occurred_at AS last_event_at,
				CASE WHEN f.status = 'DELIVERED' THEN f.occurred_at END AS delivered_at,
				f.estimated_delivery_at, f.first_scan_at, coalesce(f.source, '') AS last_event_source
			FROM (SELECT * FROM found ORDER BY id) f
			CROSS JOIN LATERAL (SELECT * FROM shipments WHERE id = f.id FOR NO KEY UPDATE) sh
		), updated AS (
			UPDATE shipments sh SET status = t.status, last_event_at = t.last_event_at,
				delivered_at = t.delivered_at, estimated_delivery_at = t.estimated_delivery_at,
				first_scan_at = t.first_scan_at, last_event_source = t.last_event_source, updated_at = now()
			FROM target t
			WHERE sh.id = t.id AND (sh.status, sh.last_event_at, sh.delivered_at, sh.estimated_delivery_at, sh.first_scan_at, sh.last_event_source)
				IS DISTINCT FROM (t.status, t.last_event_at, t.delivered_at, t.estimated_delivery_at, t.first_scan_at, t.last_event_source)
			RETURNING sh.id, sh.status
		)
		SELECT t.id, t.old_status, coalesce(u.status, t.old_status) AS status
		FROM target t LEFT JOIN updated u ON u.id = t.id
		ORDER BY t.id`

// TrackingNumbersOf returns the distinct normalised numbers of the seller's
// shipments with these ids (” left out).
func (s *Store) TrackingNumbersOf(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]string, error) {
	numbers := []string{}
	err := sqlx.SelectContext(ctx, q, &numbers, trackingNumbersOfSQL, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("tracking numbers of shipments: %w", mapErr(err))
	}
	return numbers, nil
}

// trackingNumbersOfSQL reads each id by primary key (byKey).
var trackingNumbersOfSQL = `SELECT DISTINCT normalized_tracking_number FROM ` + byKey("$2") + ` sh
		WHERE seller_id = $1 AND normalized_tracking_number <> ''`

// byKey is a subquery for a FROM item (the caller names it): the shipments with the distinct ids of the uuid
// array param, each read alone by primary key, whatever the planner
// believes about the table. Compared with seller_id = $1 AND id = ANY(...),
// a seller that holds most of the table (its first large import) made the
// planner read the seller's whole range of an index and filter it by id:
// a cost that grows with the table for every batch. The subquery has no
// other condition to choose an index by, and OFFSET 0 keeps the caller's
// conditions out of it; the caller filters on the seller.
func byKey(param string) string {
	return `(SELECT s.* FROM (SELECT DISTINCT id FROM unnest(` + param + `::uuid[]) AS k(id)) k
		CROSS JOIN LATERAL (SELECT * FROM shipments WHERE id = k.id OFFSET 0) s)`
}

// byNumber is a subquery for a LATERAL join: the ids of the shipments of
// seller with normalised number n, read through (seller_id,
// normalized_tracking_number). seller must not be a constant the planner
// can see (a column of a materialised CTE, say): compared with a constant,
// a seller the statistics have not seen yet (its first large import)
// looks like one row, and the planner reads the seller's whole range of a
// one-column index for each number instead.
func byNumber(seller, n string) string {
	return `SELECT id FROM shipments WHERE seller_id = ` + seller + ` AND normalized_tracking_number = ` + n + ` OFFSET 0`
}

// NumbersWithEventsSince returns those of the seller's numbers that have
// an event received at or after since, each looked up by key.
func (s *Store) NumbersWithEventsSince(ctx context.Context, q sqlx.QueryerContext, sellerID string, numbers []string, since time.Time) ([]string, error) {
	found := []string{}
	if len(numbers) == 0 {
		return found, nil
	}
	err := sqlx.SelectContext(ctx, q, &found, `
		WITH seller AS MATERIALIZED (SELECT id FROM sellers WHERE id = $1)
		SELECT k.n FROM seller, (SELECT DISTINCT n FROM unnest($2::text[]) AS n WHERE n <> '') k
		WHERE EXISTS (SELECT 1 FROM tracking_events e
			WHERE e.seller_id = seller.id AND e.normalized_tracking_number = k.n AND e.received_at >= $3)`,
		sellerID, pq.Array(numbers), since)
	if err != nil {
		return nil, fmt.Errorf("numbers with events since: %w", mapErr(err))
	}
	return found, nil
}
