package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/source"
)

const sourceHealthColumns = `source_id, seller_id, kind, last_success_at, last_failure_at, last_error, consecutive_failures,
	window_start, ok_current, failed_current, ok_previous, failed_previous, lag_seconds, degraded_since, degraded_reason,
	retry_at, updated_at`

// RecordSourceOutcome folds a batch's outcome into its source's health row
// (created on first use): counts in the hour window, last success or
// failure, lag, and the degraded state, which source.FailureThreshold
// failures in a row (or the silence check, MarkSourceSilent) set and the
// next success clears. A batch with any success counts as working. A
// source the flow check holds (MarkSourceThinned) is the exception: a
// delivery is what a trickle already brings, so only the flow check
// recovers it (RecoverThinnedSource), or failures take it over.
func (s *Store) RecordSourceOutcome(ctx context.Context, o source.Outcome) error {
	var lag *float64
	if o.Lag != nil {
		l := o.Lag.Seconds()
		lag = &l
	}
	hour := o.At.UTC().Truncate(time.Hour)
	// A webhook source's usable deliveries are also counted per hour, for
	// the silence check (SilentSources), and per hour and carrier, for the
	// carrier check (CarrierFlows); in the same statement, so the counts
	// cost no round trip. The carriers' rows are written after the
	// source's hour (they read counted), in the carriers' order: two
	// batches of a source lock them in the same order.
	carriers, counts := make([]string, len(o.Carriers)), make([]int64, len(o.Carriers))
	for i, c := range o.Carriers {
		carriers[i], counts[i] = c.Carrier, int64(c.Deliveries)
	}
	_, err := s.db.ExecContext(ctx, `
		WITH counted AS (
			INSERT INTO source_delivery_hours AS d (seller_id, source_id, hour, deliveries)
			SELECT $2::uuid, $1::uuid, $4::timestamptz, $5::integer WHERE $3::text = 'WEBHOOK' AND $5::integer > 0
			ON CONFLICT (source_id, hour) DO UPDATE SET deliveries = d.deliveries + EXCLUDED.deliveries
			RETURNING 1), by_carrier AS (
			INSERT INTO source_carrier_hours AS d (seller_id, source_id, hour, carrier, deliveries)
			SELECT $2::uuid, $1::uuid, $4::timestamptz, c.carrier, c.n
			FROM counted, unnest($12::text[], $13::integer[]) WITH ORDINALITY AS c (carrier, n, i)
			WHERE c.n > 0 ORDER BY c.i
			ON CONFLICT (source_id, hour, carrier) DO UPDATE SET deliveries = d.deliveries + EXCLUDED.deliveries)
		INSERT INTO source_health AS h (source_id, seller_id, kind, window_start, ok_current, failed_current,
			last_success_at, last_failure_at, last_error, consecutive_failures, lag_seconds, degraded_since,
			degraded_reason, retry_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6,
			CASE WHEN $5 > 0 THEN $7::timestamptz END, CASE WHEN $6 > 0 AND $5 = 0 THEN $7::timestamptz END,
			CASE WHEN $5 = 0 THEN $8 ELSE '' END, CASE WHEN $5 = 0 THEN $6 ELSE 0 END, $9,
			CASE WHEN $5 = 0 AND $6 >= $10 THEN $7::timestamptz END, CASE WHEN $5 = 0 AND $6 >= $10 THEN $8 ELSE '' END,
			$11, $7)
		ON CONFLICT (source_id) DO UPDATE SET
			ok_previous = CASE WHEN $4 = h.window_start THEN h.ok_previous
				WHEN $4 = h.window_start + interval '1 hour' THEN h.ok_current ELSE 0 END,
			failed_previous = CASE WHEN $4 = h.window_start THEN h.failed_previous
				WHEN $4 = h.window_start + interval '1 hour' THEN h.failed_current ELSE 0 END,
			ok_current = CASE WHEN $4 = h.window_start THEN h.ok_current ELSE 0 END + $5,
			failed_current = CASE WHEN $4 = h.window_start THEN h.failed_current ELSE 0 END + $6,
			window_start = greatest(h.window_start, $4),
			last_success_at = CASE WHEN $5 > 0 THEN $7 ELSE h.last_success_at END,
			last_failure_at = CASE WHEN $5 = 0 AND $6 > 0 THEN $7 ELSE h.last_failure_at END,
			last_error = CASE WHEN $5 = 0 AND $6 > 0 THEN $8 ELSE h.last_error END,
			consecutive_failures = CASE WHEN $5 > 0 THEN 0 ELSE h.consecutive_failures + $6 END,
			lag_seconds = coalesce($9, h.lag_seconds),
			degraded_since = CASE WHEN $5 > 0 AND NOT h.degraded_thinned THEN NULL
				WHEN $5 = 0 AND h.consecutive_failures + $6 >= $10 THEN coalesce(h.degraded_since, $7) ELSE h.degraded_since END,
			degraded_reason = CASE WHEN $5 > 0 AND NOT h.degraded_thinned THEN ''
				WHEN $5 = 0 AND h.consecutive_failures + $6 >= $10 THEN $8 ELSE h.degraded_reason END,
			degraded_thinned = h.degraded_thinned AND NOT ($5 = 0 AND h.consecutive_failures + $6 >= $10),
			retry_at = CASE WHEN $5 > 0 THEN NULL ELSE coalesce($11, h.retry_at) END,
			updated_at = $7`,
		o.SourceID, o.SellerID, string(o.Kind), hour, o.OK, o.Failed, o.At, reason(o.Error), lag,
		source.FailureThreshold, o.RetryAt, pq.Array(carriers), pq.Array(counts))
	if err != nil {
		return fmt.Errorf("record source outcome: %w", mapErr(err))
	}
	return nil
}

// reason bounds a failure's words to the column (500 bytes, whole runes).
func reason(s string) string {
	if len(s) <= 480 {
		return s
	}
	return strings.ToValidUTF8(s[:480], "") + "…"
}

// SourceHealth returns the health of the seller's sources among ids, with
// the carriers the carrier check holds for each; a source with no row yet
// is absent.
func (s *Store) SourceHealth(ctx context.Context, sellerID string, ids []string) ([]source.Health, error) {
	rows := []source.Health{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sourceHealthColumns+` FROM source_health
		WHERE seller_id = $1 AND source_id = ANY($2::uuid[])`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("source health: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return rows, nil
	}
	holds := []source.CarrierHold{}
	err = s.db.SelectContext(ctx, &holds, `SELECT source_id, carrier, degraded_since, degraded_reason
		FROM source_carrier_health WHERE seller_id = $1 AND source_id = ANY($2::uuid[])
		ORDER BY source_id, carrier`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("source health: %w", mapErr(err))
	}
	at := make(map[string]int, len(rows))
	for i, r := range rows {
		at[r.SourceID] = i
	}
	for _, c := range holds {
		if i, ok := at[c.SourceID]; ok {
			rows[i].DegradedCarriers = append(rows[i].DegradedCarriers, c)
		}
	}
	return rows, nil
}
