package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// The totalCount of the connections that have no filter: one count over
// the index each list pages through (seller first), so a count costs what
// the list would cost to read to the end, and nothing when not asked for.

// CountImports counts the seller's imports (Imports' rows).
func (s *Store) CountImports(ctx context.Context, sellerID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM shipment_imports WHERE seller_id = $1`, sellerID); err != nil {
		return 0, fmt.Errorf("count imports: %w", mapErr(err))
	}
	return n, nil
}

// CountDeliveries counts the seller's notification deliveries (Deliveries'
// rows).
func (s *Store) CountDeliveries(ctx context.Context, sellerID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM notification_deliveries WHERE seller_id = $1`, sellerID); err != nil {
		return 0, fmt.Errorf("count deliveries: %w", mapErr(err))
	}
	return n, nil
}

// CountTrackingSources counts the seller's live tracking sources
// (TrackingSources' rows).
func (s *Store) CountTrackingSources(ctx context.Context, sellerID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tracking_sources WHERE seller_id = $1 AND deleted_at IS NULL`, sellerID)
	if err != nil {
		return 0, fmt.Errorf("count tracking sources: %w", mapErr(err))
	}
	return n, nil
}

// CountEvents counts the events of each of the seller's normalised
// tracking numbers, in one statement for a page of shipments: every number
// asked for is in the map, 0 when it has none.
func (s *Store) CountEvents(ctx context.Context, sellerID string, numbers []string) (map[string]int, error) {
	out := make(map[string]int, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	rows := []struct {
		Number string `db:"number"`
		N      int    `db:"n"`
	}{}
	// One index-only range count per number, on the timeline's index.
	err := s.db.SelectContext(ctx, &rows, `SELECT n.number, c.n FROM unnest($2::text[]) AS n(number)
		CROSS JOIN LATERAL (
			SELECT count(*) AS n FROM tracking_events
			WHERE seller_id = $1 AND normalized_tracking_number = n.number
		) c`, sellerID, pq.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("count events: %w", mapErr(err))
	}
	for _, n := range numbers {
		out[n] = 0
	}
	for _, r := range rows {
		out[r.Number] = r.N
	}
	return out, nil
}
