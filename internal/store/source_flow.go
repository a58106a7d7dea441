package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

// FlowSources lists the live webhook sources, of every seller, that the
// flow check judges: those it holds (degraded_thinned), to see whether
// they recovered, and those working that delivered after since. Like the
// sweep, it spans sellers; each source is then read and marked in its
// seller's scope. Recent and Baseline are left empty.
func (s *Store) FlowSources(ctx context.Context, since time.Time) ([]source.Flow, error) {
	var rows []struct {
		SellerID string `db:"seller_id"`
		SourceID string `db:"source_id"`
		Provider string `db:"provider"`
		Thinned  bool   `db:"degraded_thinned"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT h.seller_id, h.source_id, ts.provider, h.degraded_thinned
		FROM source_health h
		JOIN tracking_sources ts ON ts.seller_id = h.seller_id AND ts.id = h.source_id AND ts.deleted_at IS NULL
		WHERE h.kind = 'WEBHOOK'
			AND (h.degraded_thinned OR (h.degraded_since IS NULL AND h.last_success_at > $1))
		ORDER BY h.seller_id, h.source_id`, since)
	if err != nil {
		return nil, fmt.Errorf("flow sources: %w", mapErr(err))
	}
	fs := make([]source.Flow, len(rows))
	for i, r := range rows {
		fs[i] = source.Flow{SellerID: r.SellerID, SourceID: r.SourceID, Provider: r.Provider, Thinned: r.Thinned}
	}
	return fs, nil
}

// MarkSourceThinned degrades a working webhook source whose flow has
// thinned since since; only RecoverThinnedSource (or failures, which take
// it over) ends it, not its next delivery. It says whether the source was
// marked.
func (s *Store) MarkSourceThinned(ctx context.Context, sellerID, sourceID string, since, now time.Time, why string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE source_health SET degraded_since = $3, degraded_reason = $4, degraded_thinned = true, updated_at = $5
		WHERE seller_id = $1 AND source_id = $2 AND kind = 'WEBHOOK' AND degraded_since IS NULL`,
		sellerID, sourceID, since, reason(why), now)
	if err != nil {
		return false, fmt.Errorf("mark source thinned: %w", mapErr(err))
	}
	return affectedOne(res, "mark source thinned")
}

// RecoverThinnedSource ends the flow check's hold on a source. It says
// whether the source was held.
func (s *Store) RecoverThinnedSource(ctx context.Context, sellerID, sourceID string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE source_health SET degraded_since = NULL, degraded_reason = '', degraded_thinned = false, updated_at = $3
		WHERE seller_id = $1 AND source_id = $2 AND degraded_thinned`, sellerID, sourceID, now)
	if err != nil {
		return false, fmt.Errorf("recover thinned source: %w", mapErr(err))
	}
	return affectedOne(res, "recover thinned source")
}

// affectedOne says whether an update of one row by key changed it.
func affectedOne(res sql.Result, doing string) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", doing, err)
	}
	return n == 1, nil
}
