package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ShipmentsByTrackingNumbers returns the seller's shipments carrying any
// of the normalised numbers, newest first, at most limit of them.
func (s *Store) ShipmentsByTrackingNumbers(ctx context.Context, sellerID string, numbers []string, limit int) ([]Shipment, error) {
	out := []Shipment{}
	if len(numbers) == 0 {
		return out, nil
	}
	err := s.db.SelectContext(ctx, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND normalized_tracking_number = ANY($2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, sellerID, pq.Array(numbers), limit)
	if err != nil {
		return nil, fmt.Errorf("shipments by tracking numbers: %w", mapErr(err))
	}
	return out, nil
}

// FirstEvents returns the first page of the timeline of each of the
// seller's normalised numbers, in one query: what a dataloader needs so
// that a page of shipments with their events costs two queries, not one
// per shipment. Each page has up to limit events, oldest first, and says
// whether more follow.
func (s *Store) FirstEvents(ctx context.Context, sellerID string, numbers []string, limit int) (map[string]Page[Event], error) {
	pages := make(map[string]Page[Event], len(numbers))
	if len(numbers) == 0 {
		return pages, nil
	}
	rows := []Event{}
	// One index range scan per number, each stopping after limit+1 rows.
	err := s.db.SelectContext(ctx, &rows, `SELECT e.* FROM unnest($2::text[]) AS n(number)
		CROSS JOIN LATERAL (
			SELECT `+eventColumns+` FROM tracking_events
			WHERE seller_id = $1 AND normalized_tracking_number = n.number
			ORDER BY occurred_at, id LIMIT $3
		) e`, sellerID, pq.Array(numbers), limit+1)
	if err != nil {
		return nil, fmt.Errorf("first events: %w", mapErr(err))
	}
	byNumber := make(map[string][]Event, len(numbers))
	for _, e := range rows {
		byNumber[e.NormalizedTrackingNumber] = append(byNumber[e.NormalizedTrackingNumber], e)
	}
	for _, n := range numbers {
		pages[n] = pageOf(byNumber[n], limit, eventCursor)
	}
	return pages, nil
}

// numberLockClass is the first key of the advisory locks on tracking
// numbers ("SW"), apart from every other advisory lock.
const numberLockClass = 0x5357

// numberLockBuckets is how many tracking-number locks a seller has (a
// power of two).
const numberLockBuckets = 128

// LockTrackingNumbers takes, until the transaction ends, the locks of the
// seller's normalised numbers, in a fixed order. Every request that writes
// events or shipments for a number takes them before its first write:
// RefreshShipments computes a shipment's state from the events its
// statement sees, so two writers of the same number must not both compute
// from a view lacking the other's events, or the older view may be
// written last. Serialised, the second sees the first's commit.
//
// Numbers share numberLockBuckets locks per seller: every lock takes a
// slot of PostgreSQL's shared lock table (about 6,400 by default), so a
// batch of 1,000 numbers must not take 1,000 of them. Two writers of
// different numbers in one bucket wait for each other, which is harmless.
func (s *Store) LockTrackingNumbers(ctx context.Context, q sqlx.ExtContext, sellerID string, numbers []string) error {
	if len(numbers) == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, k) FROM (
			SELECT DISTINCT hashtext($2 || ':' || (hashtext(n) & $4)::text) AS k
			FROM unnest($3::text[]) AS n WHERE n <> '' ORDER BY k
		) ordered`, numberLockClass, sellerID, pq.Array(numbers), numberLockBuckets-1)
	if err != nil {
		return fmt.Errorf("lock tracking numbers: %w", mapErr(err))
	}
	return nil
}
