package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// OpenShipments returns the seller's shipments received since `since`
// whose outcome in some published metric can still change at now: not
// cancelled, not delivered, and either never scanned, or still before
// their deliverBy, or not shipped before their shipBy. The projection of
// account health (internal/health) and its save queue read them.
func (s *Store) OpenShipments(ctx context.Context, sellerID string, since, now time.Time) ([]Shipment, error) {
	out := []Shipment{}
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND created_at >= $2 AND cancelled_at IS NULL AND delivered_at IS NULL
			AND (first_scan_at IS NULL OR deliver_by > $3 OR (shipped_at IS NULL AND ship_by > $3))`,
		sellerID, since, now)
	if err != nil {
		return nil, fmt.Errorf("open shipments: %w", mapErr(err))
	}
	return out, nil
}
