package store

import (
	"context"
	"fmt"

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
