package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Purged counts what one evidence purge deleted.
type Purged struct {
	Chains, Events, Proofs, Images int64
}

// purgeBatch is how many chains one purge transaction deletes: small
// enough to keep locks and WAL per transaction modest.
const purgeBatch = 500

// PurgeEvidence deletes the evidence kept past its retention: every chain
// (its events, proofs and images) with nothing appended since cutoff whose
// shipments have all been quiet since cutoff and none of which has a
// dispute that is open or changed since cutoff. It works in batches, each
// its own transaction with SET LOCAL shipwatch.retention = 'on', the only
// way past the immutability triggers. Chains being appended to or held by
// a dispute being opened are locked and skipped, and caught next time.
func (s *Store) PurgeEvidence(ctx context.Context, cutoff time.Time) (Purged, error) {
	var total Purged
	for {
		var n Purged
		err := s.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			n, err = purgeBatchTx(ctx, tx, cutoff)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("purge evidence: %w", err)
		}
		total.Chains, total.Events, total.Proofs, total.Images = total.Chains+n.Chains, total.Events+n.Events, total.Proofs+n.Proofs, total.Images+n.Images
		if n.Chains < purgeBatch {
			return total, nil
		}
	}
}

func purgeBatchTx(ctx context.Context, tx *sqlx.Tx, cutoff time.Time) (Purged, error) {
	var n Purged
	if _, err := tx.ExecContext(ctx, `SET LOCAL shipwatch.retention = 'on'`); err != nil {
		return n, mapErr(err)
	}
	var ids pq.Int64Array
	err := tx.GetContext(ctx, &ids, `
		WITH doomed AS (
			SELECT c.id FROM evidence_chains c
			WHERE c.updated_at < $1
				AND NOT EXISTS (
					SELECT 1 FROM shipments sh
					WHERE sh.seller_id = c.seller_id
						AND (sh.id = c.shipment_id
							OR (c.shipment_id IS NULL AND sh.normalized_tracking_number = c.normalized_tracking_number))
						AND (greatest(sh.updated_at, sh.last_event_at) >= $1
							OR EXISTS (SELECT 1 FROM disputes d
								WHERE d.seller_id = sh.seller_id AND d.shipment_id = sh.id
									AND (d.status = 'OPEN' OR d.updated_at >= $1))))
			ORDER BY c.id LIMIT $2
			FOR UPDATE SKIP LOCKED
		)
		SELECT coalesce(array_agg(id), '{}') FROM doomed`, cutoff, purgeBatch)
	if err != nil {
		return n, mapErr(err)
	}
	if len(ids) == 0 {
		return n, nil
	}
	for _, step := range []struct {
		count *int64
		sql   string
	}{
		{&n.Images, `DELETE FROM proof_images i USING proof_of_delivery p
			WHERE i.proof_id = p.id AND p.chain_id = ANY($1)`},
		{&n.Proofs, `DELETE FROM proof_of_delivery WHERE chain_id = ANY($1)`},
		{&n.Events, `DELETE FROM tracking_events WHERE chain_id = ANY($1)`},
		{&n.Chains, `DELETE FROM evidence_chains WHERE id = ANY($1)`},
	} {
		res, err := tx.ExecContext(ctx, step.sql, ids)
		if err != nil {
			return n, mapErr(err)
		}
		if *step.count, err = res.RowsAffected(); err != nil {
			return n, err
		}
	}
	return n, nil
}
