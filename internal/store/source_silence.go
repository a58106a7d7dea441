package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/source"
)

// QuietSources lists the live webhook sources, of every seller, that are
// not degraded and last delivered after since and no later than before:
// the ones the silence check judges.
// Like the sweep, it spans sellers; each source is then read in its
// seller's scope. Baseline is left empty (SourceBaseline fills it).
func (s *Store) QuietSources(ctx context.Context, since, before time.Time) ([]source.Quiet, error) {
	var rows []struct {
		SellerID string    `db:"seller_id"`
		SourceID string    `db:"source_id"`
		Provider string    `db:"provider"`
		Last     time.Time `db:"last_success_at"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT h.seller_id, h.source_id, ts.provider, h.last_success_at
		FROM source_health h
		JOIN tracking_sources ts ON ts.seller_id = h.seller_id AND ts.id = h.source_id AND ts.deleted_at IS NULL
		WHERE h.kind = 'WEBHOOK' AND h.degraded_since IS NULL
			AND h.last_success_at > $1 AND h.last_success_at <= $2
		ORDER BY h.seller_id, h.source_id`, since, before)
	if err != nil {
		return nil, fmt.Errorf("quiet sources: %w", mapErr(err))
	}
	qs := make([]source.Quiet, len(rows))
	for i, r := range rows {
		qs[i] = source.Quiet{SellerID: r.SellerID, SourceID: r.SourceID, Provider: r.Provider, LastDeliveryAt: r.Last}
	}
	return qs, nil
}

// SourceWindow is a range of hours of one seller's source.
type SourceWindow struct {
	SellerID, SourceID string
	source.Window
}

// SourceDeliveries returns how many deliveries each source made in its
// window, in order, from the hourly counts: one statement for every quiet
// source of a sweep, each window read by the source's key.
func (s *Store) SourceDeliveries(ctx context.Context, ws []SourceWindow) ([]int, error) {
	sellers, sources := make([]string, len(ws)), make([]string, len(ws))
	from, to := make([]time.Time, len(ws)), make([]time.Time, len(ws))
	for i, w := range ws {
		sellers[i], sources[i], from[i], to[i] = w.SellerID, w.SourceID, w.From, w.To
	}
	got := make([]int, 0, len(ws))
	err := s.db.SelectContext(ctx, &got, sourceDeliveriesSQL, pq.Array(sellers), pq.Array(sources), pq.Array(from), pq.Array(to))
	if err != nil {
		return nil, fmt.Errorf("source deliveries: %w", mapErr(err))
	}
	return got, nil
}

// sourceDeliveriesSQL sums each window's hourly counts, in the windows'
// order, by the counts' primary key (source_id, hour): every window is a
// range of one source's hours, whatever the statistics say.
const sourceDeliveriesSQL = `
		SELECT coalesce((SELECT sum(d.deliveries) FROM source_delivery_hours d
			WHERE d.seller_id = w.seller_id AND d.source_id = w.source_id AND d.hour >= w.f AND d.hour < w.t), 0)
		FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w (seller_id, source_id, f, t, n)
		ORDER BY w.n`

// ShipmentsAwaitingWebhookScans counts, for each seller, its open
// shipments that should be receiving scans by webhook at now
// (flag.AwaitingFirstScan, flag.AwaitingNextScan), up to limit of each kind, in one
// statement, in the sellers' order.
func (s *Store) ShipmentsAwaitingWebhookScans(ctx context.Context, sellerIDs []string, now time.Time, limit int) ([]int, error) {
	got := make([]int, 0, len(sellerIDs))
	err := s.db.SelectContext(ctx, &got, awaitingWebhookScansSQL, pq.Array(sellerIDs), now, now.Add(-source.SilenceScanWindow), limit)
	if err != nil {
		return nil, fmt.Errorf("shipments awaiting webhook scans: %w", mapErr(err))
	}
	return got, nil
}

// awaitingWebhookScansSQL counts, per seller of $1, up to $4 shipments
// of each kind awaiting webhook scans at $2 that shipped or moved since
// $3. Each half reads its partial index in that index's order, newest
// first, and stops at $4, whatever the statistics say.
const awaitingWebhookScansSQL = `
		SELECT (SELECT count(*) FROM (
			(SELECT 1 FROM shipments sh WHERE sh.seller_id = se.id AND ` + flag.AwaitingFirstScan + `
				ORDER BY sh.shipped_at DESC LIMIT $4)
			UNION ALL
			(SELECT 1 FROM shipments sh WHERE sh.seller_id = se.id AND ` + flag.AwaitingNextScan + `
				ORDER BY sh.last_event_at DESC LIMIT $4)) a)
		FROM unnest($1::uuid[]) WITH ORDINALITY AS se (id, n)
		ORDER BY se.n`

// MarkSourceSilent degrades a webhook source for its silence since last,
// unless it delivered or was degraded meanwhile; the next usable delivery
// recovers it (RecordSourceOutcome). It says whether the source was
// marked.
func (s *Store) MarkSourceSilent(ctx context.Context, sellerID, sourceID string, last, now time.Time, why string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE source_health SET degraded_since = $3, degraded_reason = $4, updated_at = $5
		WHERE seller_id = $1 AND source_id = $2 AND kind = 'WEBHOOK' AND degraded_since IS NULL AND last_success_at = $3`,
		sellerID, sourceID, last, reason(why), now)
	if err != nil {
		return false, fmt.Errorf("mark source silent: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark source silent: %w", err)
	}
	return n == 1, nil
}

// ExpireDeliveryHours deletes the hourly delivery counts, and those per
// carrier, older than before, of every source (retention, not tenant data
// read).
func (s *Store) ExpireDeliveryHours(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM source_delivery_hours WHERE hour < $1`, before); err != nil {
		return fmt.Errorf("expire delivery hours: %w", mapErr(err))
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM source_carrier_hours WHERE hour < $1`, before); err != nil {
		return fmt.Errorf("expire delivery hours: %w", mapErr(err))
	}
	return nil
}
