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

// SourceDeliveries returns how many deliveries the seller's source made
// in each window, in order, from its hourly counts.
func (s *Store) SourceDeliveries(ctx context.Context, sellerID, sourceID string, ws []source.Window) ([]int, error) {
	from, to := make([]time.Time, len(ws)), make([]time.Time, len(ws))
	for i, w := range ws {
		from[i], to[i] = w.From, w.To
	}
	got := make([]int, 0, len(ws))
	err := s.db.SelectContext(ctx, &got, `
		SELECT coalesce((SELECT sum(d.deliveries) FROM source_delivery_hours d
			WHERE d.seller_id = $1 AND d.source_id = $2 AND d.hour >= w.f AND d.hour < w.t), 0)
		FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS w (f, t, n)
		ORDER BY w.n`, sellerID, sourceID, pq.Array(from), pq.Array(to))
	if err != nil {
		return nil, fmt.Errorf("source deliveries: %w", mapErr(err))
	}
	return got, nil
}

// ShipmentsAwaitingWebhookScans counts, up to limit, the seller's open
// shipments that should be receiving scans by webhook at now
// (flag.AwaitingWebhookScans).
func (s *Store) ShipmentsAwaitingWebhookScans(ctx context.Context, sellerID string, now time.Time, limit int) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM (SELECT 1 FROM shipments sh
			WHERE sh.seller_id = $1 AND `+flag.AwaitingWebhookScans+`
			LIMIT $4) a`, sellerID, now, now.Add(-source.SilenceScanWindow), limit)
	if err != nil {
		return 0, fmt.Errorf("shipments awaiting webhook scans: %w", mapErr(err))
	}
	return n, nil
}

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

// ExpireDeliveryHours deletes the hourly delivery counts older than
// before, of every source (retention, not tenant data read).
func (s *Store) ExpireDeliveryHours(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM source_delivery_hours WHERE hour < $1`, before); err != nil {
		return fmt.Errorf("expire delivery hours: %w", mapErr(err))
	}
	return nil
}
