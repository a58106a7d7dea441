package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ScanDelays returns how long the seller's latest valid numbers waited for
// their first carrier scan: up to limit of the shipments received (created)
// in [from, to) whose number reached Shipwatch before to, not cancelled, with a number that passes the check, the
// latest first. Each delay runs from when the number reached Shipwatch
// (tracking_received_at, else created_at) to the first scan, 0 when the
// scan came first; nil for a number never scanned. The projection of
// account health (internal/health) learns from them the chance that a
// number still without a scan gets one. The read walks
// shipments_seller_created_idx backwards from to and stops at limit rows.
func (s *Store) ScanDelays(ctx context.Context, sellerID string, from, to time.Time, limit int) ([]*time.Duration, error) {
	var secs []sql.NullFloat64
	err := sqlx.SelectContext(ctx, s.db, &secs, `
		SELECT CASE WHEN sh.first_scan_at IS NOT NULL
			THEN extract(epoch FROM greatest(sh.first_scan_at - coalesce(sh.tracking_received_at, sh.created_at), interval '0'))::float8 END
		FROM shipments sh
		WHERE sh.seller_id = $1 AND sh.created_at >= $2 AND sh.created_at < $3
			AND coalesce(sh.tracking_received_at, sh.created_at) < $3
			AND sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> '' AND sh.tracking_valid
		ORDER BY sh.created_at DESC
		LIMIT $4`, sellerID, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("scan delays: %w", mapErr(err))
	}
	out := make([]*time.Duration, len(secs))
	for i, v := range secs {
		if v.Valid {
			d := time.Duration(v.Float64 * float64(time.Second))
			out[i] = &d
		}
	}
	return out, nil
}
