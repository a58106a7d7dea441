package store

import (
	"context"
	"fmt"
	"time"
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
// its own transaction, through shipwatch_purge_evidence: the one function
// the immutability triggers let delete (it runs as RetentionRole, and
// refuses a cutoff less than a day ago). Chains being appended to or held
// by a dispute being opened are locked and skipped, and caught next time.
func (s *Store) PurgeEvidence(ctx context.Context, cutoff time.Time) (Purged, error) {
	var total Purged
	for {
		var n Purged
		err := s.db.QueryRowContext(ctx, `SELECT chains, events, proofs, images FROM shipwatch_purge_evidence($1, $2)`,
			cutoff, purgeBatch).Scan(&n.Chains, &n.Events, &n.Proofs, &n.Images)
		if err != nil {
			return total, fmt.Errorf("purge evidence: %w", mapErr(err))
		}
		total.Chains, total.Events, total.Proofs, total.Images = total.Chains+n.Chains, total.Events+n.Events, total.Proofs+n.Proofs, total.Images+n.Images
		if n.Chains < purgeBatch {
			return total, nil
		}
	}
}
