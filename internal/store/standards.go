package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// StandardCount names one count of a published marketplace metric: which
// shipments form its denominator and which of those its numerator.
type StandardCount string

// The counts (internal/health maps each metric to one; docs/health.md
// states each definition).
const (
	CountScanned         StandardCount = "scanned"
	CountShippedLate     StandardCount = "shipped_late"
	CountDeliveredOnTime StandardCount = "delivered_on_time"
	CountSellerCancelled StandardCount = "seller_cancelled"
	CountFirstScanOnTime StandardCount = "first_scan_on_time"
	CountTrackingOnTime  StandardCount = "tracking_on_time"
	CountNotReceived     StandardCount = "not_received"
	CountReturned        StandardCount = "returned"
)

// localDay is a timestamptz column's date in the seller's zone (w.tz).
func localDay(col string) string { return `((` + col + `) AT TIME ZONE w.tz)::date` }

// standardCounts holds each count's SQL conditions on sh (a shipments
// row) and w (tz, now): the denominator, then the numerator among it.
var standardCounts = map[StandardCount][2]string{
	CountScanned: {`sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> ''`,
		`sh.first_scan_at IS NOT NULL`},
	CountShippedLate: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`(sh.shipped_at IS NULL OR sh.shipped_at > sh.ship_by)`},
	CountDeliveredOnTime: {`sh.cancelled_at IS NULL AND sh.deliver_by IS NOT NULL AND (sh.delivered_at IS NOT NULL OR sh.deliver_by < w.now)`,
		`sh.delivered_at <= sh.deliver_by`},
	// Every order counts, cancelled or not; the seller's cancellations
	// before shipping are the failures.
	CountSellerCancelled: {`true`,
		`sh.cancelled_by = 'SELLER' AND (sh.shipped_at IS NULL OR sh.cancelled_at < sh.shipped_at)`},
	// On time: the first scan on or before the ship-by's local day, or
	// delivered by deliver-by even though scanned late.
	CountFirstScanOnTime: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`(sh.first_scan_at IS NOT NULL AND ` + localDay("sh.first_scan_at") + ` <= ` + localDay("sh.ship_by") + `
			OR sh.delivered_at <= sh.deliver_by)`},
	CountTrackingOnTime: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`sh.normalized_tracking_number <> '' AND sh.first_scan_at IS NOT NULL
			AND ` + localDay("coalesce(sh.tracking_received_at, sh.created_at)") + ` <= ` + localDay("sh.ship_by")},
	CountNotReceived: {`sh.cancelled_at IS NULL AND (sh.shipped_at IS NOT NULL OR sh.first_scan_at IS NOT NULL)`,
		`EXISTS (SELECT 1 FROM disputes d WHERE d.seller_id = sh.seller_id AND d.shipment_id = sh.id AND d.kind = 'NOT_RECEIVED')`},
	CountReturned: {`sh.cancelled_at IS NULL AND sh.delivered_at IS NOT NULL`,
		`sh.returned_at IS NOT NULL`},
}

// standardKeys holds the date expression of each keying (the values of
// health.Keying).
var standardKeys = map[string]string{
	"PROMISED_DELIVERY": `coalesce(sh.deliver_by, sh.shipped_at, sh.created_at)`,
	"SHIP_BY":           `sh.ship_by`,
	"ORDERED":           `sh.created_at`,
	"SHIPPED":           `coalesce(sh.shipped_at, sh.created_at)`,
	"DELIVERED":         `sh.delivered_at`,
}

// StandardQuery asks for one count over the last Days local days (today
// included) up to now, shipments placed by the Keying date.
type StandardQuery struct {
	Count  StandardCount
	Keying string
	Days   int
}

// StandardResult is a StandardQuery's answer.
type StandardResult struct {
	From        time.Time `db:"from_"`
	To          time.Time `db:"to_"`
	Numerator   int       `db:"numerator"`
	Denominator int       `db:"denominator"`
}

// StandardCounts answers each query in order, from one snapshot. now zero
// means the database's clock.
func (s *Store) StandardCounts(ctx context.Context, sellerID string, qs []StandardQuery, now time.Time) ([]StandardResult, error) {
	var at any
	if !now.IsZero() {
		at = now
	}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("standard counts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	var clock time.Time
	if err := tx.GetContext(ctx, &clock, `SELECT coalesce($1::timestamptz, clock_timestamp())`, at); err != nil {
		return nil, fmt.Errorf("standard counts: %w", err)
	}
	out := make([]StandardResult, 0, len(qs))
	for _, q := range qs {
		conds, ok := standardCounts[q.Count]
		key, okKey := standardKeys[q.Keying]
		if !ok || !okKey || q.Days < 1 {
			return nil, fmt.Errorf("standard counts: no count %q keyed by %q over %d days", q.Count, q.Keying, q.Days)
		}
		var r StandardResult
		// The window starts at local midnight of its first day, as in
		// Health; the key reads the seller's rows by their own column.
		err := tx.GetContext(ctx, &r, `
			WITH w AS MATERIALIZED (
				SELECT se.time_zone AS tz, $3::timestamptz AS now,
					(date_trunc('day', $3::timestamptz AT TIME ZONE se.time_zone) - ($2::int - 1) * interval '1 day')
						AT TIME ZONE se.time_zone AS from_
				FROM sellers se WHERE se.id = $1)
			SELECT w.from_, w.now AS to_,
				count(sh.id) FILTER (WHERE `+conds[0]+` AND `+conds[1]+`) AS numerator,
				count(sh.id) FILTER (WHERE `+conds[0]+`) AS denominator
			FROM w LEFT JOIN shipments sh ON sh.seller_id = $1
				AND `+key+` >= w.from_ AND `+key+` < w.now
			GROUP BY w.from_, w.now`, sellerID, q.Days, clock)
		if err != nil {
			return nil, fmt.Errorf("standard counts %s: %w", q.Count, mapErr(err))
		}
		out = append(out, r)
	}
	return out, nil
}
