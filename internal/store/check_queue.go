package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// CheckLanes is how many lanes a seller's pending checks are spread over by
// shipment id: how many of one seller's check jobs can run at once.
const CheckLanes = 4

// CheckTurn names one lane of a seller's pending checks.
type CheckTurn struct {
	SellerID string `db:"seller_id"`
	Lane     int    `db:"lane"`
}

// QueueChecks appends shipments to the seller's pending checks and returns
// the lanes that had no turn and now have one: the caller queues a job for
// each, in tx. Lanes that already had a turn are only share-locked, so
// writers of one seller never wait on one another; a turn ending waits for
// them (EndCheckTurn).
func (s *Store) QueueChecks(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string) ([]CheckTurn, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var lanes []int
	err := tx.SelectContext(ctx, &lanes, `
		INSERT INTO pending_checks (seller_id, lane, shipment_id)
		SELECT $1, get_byte(uuid_send(id), 15) % $3, id FROM unnest($2::uuid[]) AS i(id)
		RETURNING lane`, sellerID, pq.Array(ids), CheckLanes)
	if err != nil {
		return nil, fmt.Errorf("queue checks: %w", mapErr(err))
	}
	seen := map[int]bool{}
	var distinct []int
	for _, l := range lanes {
		if !seen[l] {
			seen[l] = true
			distinct = append(distinct, l)
		}
	}
	// A turn's row is created (then this transaction owes the lane a job)
	// or share-locked (then the turn cannot end before this transaction
	// commits, and will see its pending rows). The one statement can miss
	// a turn deleted between its two halves: loop until every lane is one
	// or the other.
	var started []CheckTurn
	for len(distinct) > 0 {
		var created []int
		err := tx.SelectContext(ctx, &created, `
			INSERT INTO check_turns (seller_id, lane)
			SELECT $1, l FROM unnest($2::int[]) AS l ORDER BY l
			ON CONFLICT DO NOTHING
			RETURNING lane`, sellerID, pq.Array(distinct))
		if err != nil {
			return nil, fmt.Errorf("queue checks: start turns: %w", mapErr(err))
		}
		for _, l := range created {
			started = append(started, CheckTurn{SellerID: sellerID, Lane: l})
			seen[l] = false
		}
		var held []int
		err = tx.SelectContext(ctx, &held, `
			SELECT lane FROM check_turns WHERE seller_id = $1 AND lane = ANY($2::int[])
			ORDER BY lane FOR KEY SHARE`, sellerID, pq.Array(distinct))
		if err != nil {
			return nil, fmt.Errorf("queue checks: hold turns: %w", mapErr(err))
		}
		for _, l := range held {
			seen[l] = false
		}
		rest := distinct[:0]
		for _, l := range distinct {
			if seen[l] {
				rest = append(rest, l)
			}
		}
		distinct = rest
	}
	return started, nil
}

// PendingCheck is one queued shipment of a lane.
type PendingCheck struct {
	Seq        int64  `db:"seq"`
	ShipmentID string `db:"shipment_id"`
}

// PendingChecks reads the oldest limit pending checks of a lane, without
// locking: the check locks the shipments, then DonePendingChecks deletes
// these rows, which no writer ever touches again.
func (s *Store) PendingChecks(ctx context.Context, tx *sqlx.Tx, t CheckTurn, limit int) ([]PendingCheck, error) {
	var ps []PendingCheck
	err := tx.SelectContext(ctx, &ps, `
		SELECT seq, shipment_id FROM pending_checks
		WHERE seller_id = $1 AND lane = $2 ORDER BY seq LIMIT $3`, t.SellerID, t.Lane, limit)
	if err != nil {
		return nil, fmt.Errorf("pending checks: %w", mapErr(err))
	}
	return ps, nil
}

// DonePendingChecks deletes checked rows of a lane by seq.
func (s *Store) DonePendingChecks(ctx context.Context, tx *sqlx.Tx, t CheckTurn, seqs []int64) error {
	_, err := tx.ExecContext(ctx, `
		DELETE FROM pending_checks WHERE seller_id = $1 AND lane = $2 AND seq = ANY($3::bigint[])`,
		t.SellerID, t.Lane, pq.Array(seqs))
	if err != nil {
		return fmt.Errorf("done pending checks: %w", mapErr(err))
	}
	return nil
}

// EndCheckTurn ends a lane's turn when nothing is pending in it, and
// reports whether it did; otherwise the turn goes on, renewed, and the
// caller queues its next job in tx. It never waits: when writers hold the
// turn (QueueChecks), they are queueing rows, so the turn goes on. Once it
// holds the turn, no writer is in flight and a new statement's snapshot
// has every row they queued: a turn never ends with rows left behind, and
// a writer that comes after it ends starts a new one.
func (s *Store) EndCheckTurn(ctx context.Context, tx *sqlx.Tx, t CheckTurn) (ended bool, err error) {
	var st struct {
		Exists bool `db:"exists"`
		Held   bool `db:"held"`
	}
	err = tx.GetContext(ctx, &st, `
		SELECT EXISTS (SELECT FROM check_turns WHERE seller_id = $1 AND lane = $2) AS exists,
			EXISTS (SELECT FROM check_turns WHERE seller_id = $1 AND lane = $2 FOR UPDATE SKIP LOCKED) AS held`,
		t.SellerID, t.Lane)
	if err != nil {
		return false, fmt.Errorf("end check turn: %w", mapErr(err))
	}
	if !st.Exists {
		return true, nil // ended already, by a repaired turn's twin
	}
	pending := !st.Held
	if st.Held {
		err = tx.GetContext(ctx, &pending, `SELECT EXISTS (SELECT FROM pending_checks WHERE seller_id = $1 AND lane = $2)`,
			t.SellerID, t.Lane)
		if err != nil {
			return false, fmt.Errorf("end check turn: %w", mapErr(err))
		}
	}
	if pending {
		_, err = tx.ExecContext(ctx, `UPDATE check_turns SET queued_at = now() WHERE seller_id = $1 AND lane = $2`, t.SellerID, t.Lane)
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM check_turns WHERE seller_id = $1 AND lane = $2`, t.SellerID, t.Lane)
	}
	if err != nil {
		return false, fmt.Errorf("end check turn: %w", mapErr(err))
	}
	return !pending, nil
}

// RenewCheckTurn records that the lane's next job was queued.
func (s *Store) RenewCheckTurn(ctx context.Context, tx *sqlx.Tx, t CheckTurn) error {
	_, err := tx.ExecContext(ctx, `UPDATE check_turns SET queued_at = now() WHERE seller_id = $1 AND lane = $2`, t.SellerID, t.Lane)
	if err != nil {
		return fmt.Errorf("renew check turn: %w", mapErr(err))
	}
	return nil
}

// StaleCheckTurns returns the turns whose job was last queued before
// olderThan ago, renewing them: their job was lost (cancelled after its
// last attempt, or removed), and the caller queues a new one in tx. A turn
// whose job is only slow gets a twin, which is harmless: checks are
// idempotent and a turn ends once.
func (s *Store) StaleCheckTurns(ctx context.Context, tx *sqlx.Tx, olderThan time.Duration) ([]CheckTurn, error) {
	var ts []CheckTurn
	err := tx.SelectContext(ctx, &ts, `
		UPDATE check_turns t SET queued_at = now()
		FROM (SELECT seller_id, lane FROM check_turns WHERE queued_at < now() - $1::interval
			ORDER BY seller_id, lane FOR UPDATE SKIP LOCKED) stale
		WHERE t.seller_id = stale.seller_id AND t.lane = stale.lane
		RETURNING t.seller_id, t.lane`, fmt.Sprintf("%d milliseconds", olderThan.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("stale check turns: %w", mapErr(err))
	}
	return ts, nil
}
