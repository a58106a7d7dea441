package store

import (
	"context"
	"fmt"

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
	changes := []StatusChange{}
	if len(numbers) == 0 {
		return changes, nil
	}
	err := sqlx.SelectContext(ctx, q, &changes, `
		WITH latest AS (
			SELECT DISTINCT ON (normalized_tracking_number) normalized_tracking_number, status, occurred_at
			FROM tracking_events
			WHERE seller_id = $1 AND normalized_tracking_number = ANY($2)
			ORDER BY normalized_tracking_number, occurred_at DESC, id DESC
		), estimate AS (
			SELECT DISTINCT ON (normalized_tracking_number) normalized_tracking_number, estimated_delivery_at
			FROM tracking_events
			WHERE seller_id = $1 AND normalized_tracking_number = ANY($2) AND estimated_delivery_at IS NOT NULL
			ORDER BY normalized_tracking_number, occurred_at DESC, id DESC
		), scans AS (
			SELECT normalized_tracking_number, min(occurred_at) AS first_scan_at
			FROM tracking_events
			WHERE seller_id = $1 AND normalized_tracking_number = ANY($2)
				AND status NOT IN ('PENDING', 'LABEL_CREATED', 'CANCELLED')
			GROUP BY normalized_tracking_number
		), target AS (
			SELECT sh.id, sh.status AS old_status,
				CASE WHEN sh.cancelled_at IS NOT NULL THEN 'CANCELLED' ELSE coalesce(l.status, 'PENDING') END AS status,
				l.occurred_at AS last_event_at,
				CASE WHEN l.status = 'DELIVERED' THEN l.occurred_at END AS delivered_at,
				e.estimated_delivery_at, sc.first_scan_at
			FROM shipments sh
			LEFT JOIN latest l ON l.normalized_tracking_number = sh.normalized_tracking_number
			LEFT JOIN estimate e ON e.normalized_tracking_number = sh.normalized_tracking_number
			LEFT JOIN scans sc ON sc.normalized_tracking_number = sh.normalized_tracking_number
			WHERE sh.seller_id = $1 AND sh.normalized_tracking_number = ANY($2)
			FOR UPDATE OF sh
		)
		UPDATE shipments sh SET status = t.status, last_event_at = t.last_event_at,
			delivered_at = t.delivered_at, estimated_delivery_at = t.estimated_delivery_at,
			first_scan_at = t.first_scan_at, updated_at = now()
		FROM target t
		WHERE sh.id = t.id AND (sh.status, sh.last_event_at, sh.delivered_at, sh.estimated_delivery_at, sh.first_scan_at)
			IS DISTINCT FROM (t.status, t.last_event_at, t.delivered_at, t.estimated_delivery_at, t.first_scan_at)
		RETURNING sh.id, t.old_status, sh.status`, sellerID, pq.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("refresh shipments: %w", mapErr(err))
	}
	out := changes[:0]
	for _, c := range changes {
		if c.From != c.To {
			out = append(out, c)
		}
	}
	return out, nil
}

// TrackingNumbersOf returns the distinct normalised numbers of the seller's
// shipments with these ids (” left out).
func (s *Store) TrackingNumbersOf(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]string, error) {
	numbers := []string{}
	err := sqlx.SelectContext(ctx, q, &numbers, `SELECT DISTINCT normalized_tracking_number FROM shipments
		WHERE seller_id = $1 AND id = ANY($2::uuid[]) AND normalized_tracking_number <> ''`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("tracking numbers of shipments: %w", mapErr(err))
	}
	return numbers, nil
}
