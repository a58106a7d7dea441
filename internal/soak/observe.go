package soak

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/tracking"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// The soak observes the server from outside, through its database: the
// figures it prints are PostgreSQL's own counters and the rows the server
// wrote, never the server's word for them.

func deadlocks(ctx context.Context, db *sql.DB) (int64, error) {
	// A fresh snapshot: the counters may have moved since the last read in
	// this session.
	if _, err := db.ExecContext(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
		return 0, fmt.Errorf("deadlocks: %w", err)
	}
	var n int64
	err := db.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("deadlocks: %w", err)
	}
	return n, nil
}

// JobErrors counts River jobs by kind that recorded at least one error
// (retried or discarded).
type JobErrors struct {
	Jobs    int64
	ByKind  map[string]int64
	Example string
}

func jobErrors(ctx context.Context, db *sql.DB) (JobErrors, error) {
	je := JobErrors{ByKind: map[string]int64{}}
	rows, err := db.QueryContext(ctx, `SELECT kind, count(*), max(errors[array_upper(errors, 1)]->>'error')
		FROM river_job WHERE coalesce(array_length(errors, 1), 0) > 0 GROUP BY kind ORDER BY kind`)
	if err != nil {
		return je, fmt.Errorf("job errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n int64
		var example sql.NullString
		if err := rows.Scan(&kind, &n, &example); err != nil {
			return je, fmt.Errorf("job errors: %w", err)
		}
		je.ByKind[kind] = n
		je.Jobs += n
		if je.Example == "" && example.Valid {
			je.Example = kind + ": " + example.String
		}
	}
	return je, rows.Err()
}

// Sweeps is what monitor_sweeps and River say of the periodic sweeps.
type Sweeps struct {
	Finished, Unfinished, Failed int64
	Longest                      time.Duration
}

// Lost is how many sweep runs failed: a period started and never
// finished, or a sweep job that returned an error.
func (s Sweeps) Lost() int64 { return s.Unfinished + s.Failed }

func sweeps(ctx context.Context, db *sql.DB) (Sweeps, error) {
	var s Sweeps
	var longest float64
	err := db.QueryRowContext(ctx, `SELECT count(finished_at), count(*) - count(finished_at),
			coalesce(extract(epoch FROM max(finished_at - started_at)), 0)
		FROM monitor_sweeps`).Scan(&s.Finished, &s.Unfinished, &longest)
	if err != nil {
		return s, fmt.Errorf("sweeps: %w", err)
	}
	s.Longest = time.Duration(longest * float64(time.Second))
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM river_job
		WHERE kind = 'shipwatch.monitor.sweep' AND coalesce(array_length(errors, 1), 0) > 0`).Scan(&s.Failed)
	if err != nil {
		return s, fmt.Errorf("sweeps: %w", err)
	}
	return s, nil
}

// backlog is the work not done yet: unprocessed deliveries and River
// jobs waiting or running, the periodic sweep aside.
func backlog(ctx context.Context, db *sql.DB) (deliveries, jobs int64, err error) {
	err = db.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL),
			(SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending')
				AND kind <> 'shipwatch.monitor.sweep')`).Scan(&deliveries, &jobs)
	if err != nil {
		return 0, 0, fmt.Errorf("backlog: %w", err)
	}
	return deliveries, jobs, nil
}

// sweepAfter returns the start and end of the first sweep that started
// after t and finished, if any.
func sweepAfter(ctx context.Context, db *sql.DB, t time.Time) (start, end time.Time, ok bool, err error) {
	err = db.QueryRowContext(ctx, `SELECT started_at, finished_at FROM monitor_sweeps
		WHERE started_at > $1 AND finished_at IS NOT NULL ORDER BY started_at LIMIT 1`, t).Scan(&start, &end)
	if err == sql.ErrNoRows {
		return start, end, false, nil
	}
	if err != nil {
		return start, end, false, fmt.Errorf("sweep after: %w", err)
	}
	return start, end, true, nil
}

func dbNow(ctx context.Context, db *sql.DB) (time.Time, error) {
	var t time.Time
	if err := db.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
		return t, fmt.Errorf("database clock: %w", err)
	}
	return t, nil
}

// refData reads every seller, shipment and event, streaming.
func refData(ctx context.Context, db *sql.DB) (RefData, error) {
	d := RefData{Sellers: map[string]RefSeller{}, Events: map[string]map[string][]RefEvent{}}
	rows, err := db.QueryContext(ctx, `SELECT id, time_zone, inactive_tracking_hours, stalled_days FROM sellers`)
	if err != nil {
		return d, fmt.Errorf("reference sellers: %w", err)
	}
	for rows.Next() {
		var id, zone string
		var se RefSeller
		if err := rows.Scan(&id, &zone, &se.InactiveHours, &se.StalledDays); err != nil {
			rows.Close()
			return d, fmt.Errorf("reference sellers: %w", err)
		}
		if se.Zone, err = time.LoadLocation(zone); err != nil {
			rows.Close()
			return d, fmt.Errorf("reference sellers: seller %s: %w", id, err)
		}
		d.Sellers[id] = se
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("reference sellers: %w", err)
	}

	rows, err = db.QueryContext(ctx, `SELECT id, seller_id, order_id, normalized_tracking_number, tracking_valid,
			tracking_reason, cancelled_at IS NOT NULL, shipped_at, ship_by, deliver_by FROM shipments`)
	if err != nil {
		return d, fmt.Errorf("reference shipments: %w", err)
	}
	for rows.Next() {
		var sh RefShipment
		var shipped, shipBy, deliverBy sql.NullTime
		if err := rows.Scan(&sh.ID, &sh.SellerID, &sh.OrderID, &sh.Normalized, &sh.TrackingValid, &sh.TrackingReason,
			&sh.Cancelled, &shipped, &shipBy, &deliverBy); err != nil {
			rows.Close()
			return d, fmt.Errorf("reference shipments: %w", err)
		}
		sh.ShippedAt, sh.ShipBy, sh.DeliverBy = timePtr(shipped), timePtr(shipBy), timePtr(deliverBy)
		d.Shipments = append(d.Shipments, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("reference shipments: %w", err)
	}

	rows, err = db.QueryContext(ctx, `SELECT seller_id, normalized_tracking_number, id, occurred_at, status, estimated_delivery_at
		FROM tracking_events`)
	if err != nil {
		return d, fmt.Errorf("reference events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seller, number string
		var e RefEvent
		var est sql.NullTime
		if err := rows.Scan(&seller, &number, &e.ID, &e.OccurredAt, &e.Status, &est); err != nil {
			return d, fmt.Errorf("reference events: %w", err)
		}
		e.Estimate = timePtr(est)
		if d.Events[seller] == nil {
			d.Events[seller] = map[string][]RefEvent{}
		}
		d.Events[seller][number] = append(d.Events[seller][number], e)
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("reference events: %w", err)
	}
	return d, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func openFlags(ctx context.Context, db *sql.DB) (map[FlagKey]bool, error) {
	open := map[FlagKey]bool{}
	rows, err := db.QueryContext(ctx, `SELECT shipment_id, kind FROM flags WHERE resolved_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("open flags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k FlagKey
		if err := rows.Scan(&k.ShipmentID, &k.Kind); err != nil {
			return nil, fmt.Errorf("open flags: %w", err)
		}
		open[k] = true
	}
	return open, rows.Err()
}

// flagDelays returns, for each of the seller's shipments, how long after
// its write its INACTIVE_TRACKING flag was raised, and how many never got
// one.
func flagDelays(ctx context.Context, db *sql.DB, sellerID string) (delays []time.Duration, never int64, err error) {
	rows, err := db.QueryContext(ctx, `SELECT extract(epoch FROM f.raised_at - sh.created_at)
		FROM shipments sh
		LEFT JOIN LATERAL (SELECT min(raised_at) AS raised_at FROM flags f
			WHERE f.seller_id = sh.seller_id AND f.shipment_id = sh.id AND f.kind = 'INACTIVE_TRACKING') f ON true
		WHERE sh.seller_id = $1`, sellerID)
	if err != nil {
		return nil, 0, fmt.Errorf("flag delays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var secs sql.NullFloat64
		if err := rows.Scan(&secs); err != nil {
			return nil, 0, fmt.Errorf("flag delays: %w", err)
		}
		if !secs.Valid {
			never++
			continue
		}
		delays = append(delays, time.Duration(secs.Float64*float64(time.Second)))
	}
	return delays, never, rows.Err()
}

// eventsLost reconciles the webhook load: every event of every
// acknowledged webhook must be stored once, by fingerprint.
func eventsLost(ctx context.Context, db *sql.DB, sellerID string, w *webhooks) (lost, duplicated int64, err error) {
	want := make(map[[32]byte]bool, len(w.acked)*w.perHook)
	for _, s := range w.acked {
		p, err := webhook.ParseEasyPost(w.body(s))
		if err != nil {
			return 0, 0, fmt.Errorf("events lost: parse webhook %d: %w", s, err)
		}
		norm := tracking.Normalize(p.TrackingNumber)
		for _, e := range p.Events {
			want[shipment.Fingerprint(sellerID, norm, e)] = true
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT fingerprint, count(*) FROM tracking_events WHERE seller_id = $1 GROUP BY fingerprint`, sellerID)
	if err != nil {
		return 0, 0, fmt.Errorf("events lost: %w", err)
	}
	defer rows.Close()
	seen := make(map[[32]byte]bool, len(want))
	for rows.Next() {
		var fp []byte
		var n int64
		if err := rows.Scan(&fp, &n); err != nil {
			return 0, 0, fmt.Errorf("events lost: %w", err)
		}
		var key [32]byte
		copy(key[:], fp)
		seen[key] = true
		duplicated += n - 1
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("events lost: %w", err)
	}
	for fp := range want {
		if !seen[fp] {
			lost++
		}
	}
	return lost, duplicated, nil
}
