package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// HealthDay is one day of a health window in the seller's time zone.
type HealthDay struct {
	Date string    `db:"date"` // YYYY-MM-DD, local
	From time.Time `db:"day_from"`
	// To is the next day's start, or the window's end for the last day.
	To time.Time `db:"day_to"`
}

// HealthWindow is a run of whole local days that ends at Now.
type HealthWindow struct {
	TimeZone string
	From     time.Time
	Now      time.Time // the end, exclusive
	Days     []HealthDay
}

// HealthCount is what a day and carrier add to each metric.
type HealthCount struct {
	Date          string `db:"date"`    // YYYY-MM-DD, local
	Carrier       string `db:"carrier"` // '' when unknown
	Tracked       int    `db:"tracked"`
	Unscanned     int    `db:"unscanned"`
	Invalid       int    `db:"invalid"`
	Due           int    `db:"due"`
	ShippedLate   int    `db:"shipped_late"`
	Promised      int    `db:"promised"`
	DeliveredLate int    `db:"delivered_late"`
}

// Health returns the seller's last `days` days in their time zone, from
// midnight of the first to now (today is the last), and the health rollup
// summed per local day and carrier over that window.
//
// now zero means the database's clock, read after the snapshot the counts
// are read from: every write the snapshot holds then started before now,
// which is what keeps the quarter hours the rollup folds on its side of
// the window's end (see migrations/0007). Tests may pass a time later than
// the clock.
func (s *Store) Health(ctx context.Context, sellerID string, days int, now time.Time) (HealthWindow, []HealthCount, error) {
	var at any
	if !now.IsZero() {
		at = now
	}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return HealthWindow{}, nil, fmt.Errorf("health: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	rows := []struct {
		TimeZone string    `db:"time_zone"`
		Now      time.Time `db:"now"`
		HealthDay
	}{}
	err = tx.SelectContext(ctx, &rows, `
		WITH w AS MATERIALIZED (
			SELECT time_zone, coalesce($3::timestamptz, clock_timestamp()) AS now FROM sellers WHERE id = $1
		)
		SELECT w.time_zone, w.now, to_char(d, 'YYYY-MM-DD') AS date,
			d AT TIME ZONE w.time_zone AS day_from,
			least((d + interval '1 day') AT TIME ZONE w.time_zone, w.now) AS day_to
		FROM w, generate_series(date_trunc('day', w.now AT TIME ZONE w.time_zone) - ($2::int - 1) * interval '1 day',
			date_trunc('day', w.now AT TIME ZONE w.time_zone), interval '1 day') AS d
		ORDER BY d`, sellerID, days, at)
	if err != nil {
		return HealthWindow{}, nil, fmt.Errorf("health window: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return HealthWindow{}, nil, fmt.Errorf("health window: %w", ErrNotFound)
	}
	w := HealthWindow{TimeZone: rows[0].TimeZone, From: rows[0].From, Now: rows[0].Now, Days: make([]HealthDay, len(rows))}
	for i, r := range rows {
		w.Days[i] = r.HealthDay
	}
	counts := []HealthCount{}
	// Grouping on a date and formatting the groups is cheaper than
	// formatting every row.
	err = tx.SelectContext(ctx, &counts, `
		SELECT to_char(day, 'YYYY-MM-DD') AS date, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late
		FROM (
			SELECT (at AT TIME ZONE $2)::date AS day, carrier,
				sum(tracked) AS tracked, sum(unscanned) AS unscanned, sum(invalid) AS invalid,
				sum(due) AS due, sum(shipped_late) AS shipped_late,
				sum(promised) AS promised, sum(delivered_late) AS delivered_late
			FROM health_counts
			WHERE seller_id = $1 AND at >= $3 AND at < $4
			GROUP BY 1, 2
		) AS g
		ORDER BY day, carrier`, sellerID, w.TimeZone, w.From, w.Now)
	if err != nil {
		return HealthWindow{}, nil, fmt.Errorf("health counts: %w", mapErr(err))
	}
	return w, counts, nil
}

// HealthFailure is a way a shipment counts against a metric.
type HealthFailure int

// The failures, each with its own list.
const (
	// Unscanned: a tracking number with no carrier scan (VTR).
	Unscanned HealthFailure = iota
	// InvalidTracking: a number that fails the tracking check (ITR).
	InvalidTracking
	// ShippedLate: shipped after ship-by, or not shipped by it (LSR).
	ShippedLate
	// DeliveredLate: delivered after deliver-by, or not delivered by it (OTDR).
	DeliveredLate
)

// Each failure's list is one fixed SQL text. The predicates repeat those of
// the partial indexes of migrations/0007 word for word, so the planner uses
// them; the instant is the one the rollup counts the shipment at.
var failingSQL = map[HealthFailure]string{
	Unscanned: `SELECT ` + shipmentColumns + ` FROM shipments
		WHERE seller_id = $1 AND normalized_tracking_number <> '' AND first_scan_at IS NULL AND status <> 'CANCELLED'
			AND coalesce(shipped_at, created_at) >= $2 AND (coalesce(shipped_at, created_at), id) < ($3, $4::uuid)
			AND ($5::text IS NULL OR coalesce(nullif(carrier, ''), tracking_carrier) = $5)
		ORDER BY coalesce(shipped_at, created_at) DESC, id DESC LIMIT $6`,
	InvalidTracking: `SELECT ` + shipmentColumns + ` FROM shipments
		WHERE seller_id = $1 AND normalized_tracking_number <> '' AND NOT tracking_valid AND status <> 'CANCELLED'
			AND coalesce(shipped_at, created_at) >= $2 AND (coalesce(shipped_at, created_at), id) < ($3, $4::uuid)
			AND ($5::text IS NULL OR coalesce(nullif(carrier, ''), tracking_carrier) = $5)
		ORDER BY coalesce(shipped_at, created_at) DESC, id DESC LIMIT $6`,
	ShippedLate: `SELECT ` + shipmentColumns + ` FROM shipments
		WHERE seller_id = $1 AND ship_by IS NOT NULL AND (shipped_at IS NULL OR shipped_at > ship_by) AND status <> 'CANCELLED'
			AND ship_by >= $2 AND (ship_by, id) < ($3, $4::uuid)
			AND ($5::text IS NULL OR coalesce(nullif(carrier, ''), tracking_carrier) = $5)
		ORDER BY ship_by DESC, id DESC LIMIT $6`,
	DeliveredLate: `SELECT ` + shipmentColumns + ` FROM shipments
		WHERE seller_id = $1 AND deliver_by IS NOT NULL AND (delivered_at IS NULL OR delivered_at > deliver_by) AND status <> 'CANCELLED'
			AND deliver_by >= $2 AND (deliver_by, id) < ($3, $4::uuid)
			AND ($5::text IS NULL OR coalesce(nullif(carrier, ''), tracking_carrier) = $5)
		ORDER BY deliver_by DESC, id DESC LIMIT $6`,
}

// HealthInstant returns the instant a failing shipment is counted at: the
// sort key of its list.
func HealthInstant(f HealthFailure, sh Shipment) time.Time {
	switch f {
	case ShippedLate:
		return *sh.ShipBy
	case DeliveredLate:
		return *sh.DeliverBy
	}
	if sh.ShippedAt != nil {
		return *sh.ShippedAt
	}
	return sh.CreatedAt
}

// HealthRange narrows a failing list: instants in [From, To), and one
// carrier when Carrier is set ("" for shipments with no known carrier).
type HealthRange struct {
	From, To time.Time
	Carrier  *string
}

// minUUID sorts before every id: (To, minUUID) bounds a first page at To.
const minUUID = "00000000-0000-0000-0000-000000000000"

// FailingShipments lists the seller's shipments that count against a
// metric in a range, latest instant first, limit at a time after a cursor.
func (s *Store) FailingShipments(ctx context.Context, sellerID string, f HealthFailure, r HealthRange, limit int, after Cursor) (Page[Shipment], error) {
	query, ok := failingSQL[f]
	if !ok {
		return Page[Shipment]{}, fmt.Errorf("failing shipments: unknown failure %d", f)
	}
	upper, upperID := r.To, minUUID
	if after.ID != "" && after.Time.Before(r.To) {
		upper, upperID = after.Time, after.ID
	}
	var carrier any
	if r.Carrier != nil {
		carrier = *r.Carrier
	}
	rows := []Shipment{}
	if err := s.db.SelectContext(ctx, &rows, query, sellerID, r.From, upper, upperID, carrier, limit+1); err != nil {
		return Page[Shipment]{}, fmt.Errorf("failing shipments: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(sh Shipment) Cursor { return Cursor{Time: HealthInstant(f, sh), ID: sh.ID} }), nil
}

// compactLockKey keeps two compactions from folding the same rows at once
// ("health" in ASCII).
const compactLockKey = 0x6865616c7468

// CompactHealthCounts folds the health rollup's deltas: the rows of a
// quarter hour that is over become one settled row per seller and carrier,
// and rows of one instant still to come become one row. Sums never change,
// so counts read before, during and after are the same. It folds at most
// limit keys and returns how many it folded; 0 when another compaction holds
// the lock.
func (s *Store) CompactHealthCounts(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock($1)`, compactLockKey); err != nil || !locked {
			return err
		}
		return tx.GetContext(ctx, &n, `
			WITH c AS (
				SELECT date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00') AS cut
			), keys AS (
				SELECT h.seller_id, h.carrier, health_slot(h.at, c.cut) AS at,
					CASE WHEN health_slot(h.at, c.cut) < c.cut THEN interval '15 minutes' ELSE interval '1 microsecond' END AS span
				FROM health_counts h, c
				WHERE NOT h.settled
				GROUP BY 1, 2, 3, c.cut
				HAVING count(*) > 1 OR health_slot(h.at, c.cut) < c.cut
				LIMIT $1
			), gone AS (
				DELETE FROM health_counts h USING keys k
				WHERE h.seller_id = k.seller_id AND h.carrier = k.carrier AND h.at >= k.at AND h.at < k.at + k.span
				RETURNING h.*
			), folded AS (
				INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late,
					promised, delivered_late, settled)
				SELECT g.seller_id, health_slot(g.at, c.cut), g.carrier, sum(g.tracked), sum(g.unscanned), sum(g.invalid),
					sum(g.due), sum(g.shipped_late), sum(g.promised), sum(g.delivered_late), health_slot(g.at, c.cut) < c.cut
				FROM gone g, c
				GROUP BY g.seller_id, health_slot(g.at, c.cut), g.carrier, c.cut
				HAVING (sum(g.tracked), sum(g.unscanned), sum(g.invalid), sum(g.due), sum(g.shipped_late),
					sum(g.promised), sum(g.delivered_late)) <> (0, 0, 0, 0, 0, 0, 0)
				RETURNING 1
			)
			SELECT count(*) FROM keys`, limit)
	})
	if err != nil {
		return 0, fmt.Errorf("compact health counts: %w", mapErr(err))
	}
	return n, nil
}
