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
//
// One: a turn checks every shipment pending in its lane, in one statement
// per rule, so its cost is mostly per turn, not per shipment. With four
// lanes a seller's burst of webhooks made four times as many turns of a
// quarter of the size; measured with make loadtest, one lane took the
// statements per webhook from 6.9 to 3.1 and PostgreSQL's CPU per event
// by a third (docs/events.md). Other sellers' turns still run beside it.
const CheckLanes = 1

// CheckTurn names one lane of a seller's pending checks.
type CheckTurn struct {
	SellerID string `db:"seller_id"`
	Lane     int    `db:"lane"`
}

// turnLockClass is the first key of the advisory locks a writer tries
// before starting a lane's turn.
const turnLockClass = 0x5354

// QueueChecks appends shipments to the seller's pending checks and returns
// the lanes whose turn it started: the caller queues a job for each, in
// tx. It never waits on another writer: pending rows are inserts only, and
// a lane's turn is started by the one writer that gets the lane's try-lock
// and finds no turn. A writer that does not get it, or whose lane's turn
// ends before it commits, leaves its rows to StartIdleTurns.
func (s *Store) QueueChecks(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string) ([]CheckTurn, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var lanes []int
	err := tx.SelectContext(ctx, &lanes, `
		WITH queued AS (
			INSERT INTO pending_checks (seller_id, lane, shipment_id)
			SELECT $1, get_byte(uuid_send(id), 15) % $3, id FROM unnest($2::uuid[]) AS i(id)
			RETURNING lane
		)
		SELECT DISTINCT lane FROM queued ORDER BY lane`, sellerID, pq.Array(ids), CheckLanes)
	if err != nil {
		return nil, fmt.Errorf("queue checks: %w", mapErr(err))
	}
	var started []CheckTurn
	err = tx.SelectContext(ctx, &started, `
		INSERT INTO check_turns (seller_id, lane)
		SELECT $1::uuid, l FROM unnest($2::int[]) AS l
		WHERE pg_try_advisory_xact_lock($3, hashtext($1::uuid::text || ':' || l::text))
			AND NOT EXISTS (SELECT FROM check_turns WHERE seller_id = $1::uuid AND lane = l)
		ORDER BY l
		ON CONFLICT DO NOTHING
		RETURNING seller_id, lane`, sellerID, pq.Array(lanes), turnLockClass)
	if err != nil {
		return nil, fmt.Errorf("queue checks: start turns: %w", mapErr(err))
	}
	return started, nil
}

// StartIdleTurns starts a turn for every lane with pending checks and no
// turn, and returns them: the caller queues a job for each, in tx. It
// reads one row per lane (a skip scan of the primary key), so it costs the
// number of lanes, not of pending rows. Like QueueChecks it takes a lane
// only with its try-lock, so it never waits on a writer: a lane a writer
// holds is that writer's, or the next run's.
func (s *Store) StartIdleTurns(ctx context.Context, tx *sqlx.Tx) ([]CheckTurn, error) {
	var started []CheckTurn
	err := tx.SelectContext(ctx, &started, `
		WITH RECURSIVE lanes AS (
			(SELECT seller_id, lane FROM pending_checks ORDER BY seller_id, lane LIMIT 1)
			UNION ALL
			SELECT n.seller_id, n.lane FROM lanes l CROSS JOIN LATERAL (
				SELECT p.seller_id, p.lane FROM pending_checks p
				WHERE (p.seller_id, p.lane) > (l.seller_id, l.lane)
				ORDER BY p.seller_id, p.lane LIMIT 1) n
		)
		INSERT INTO check_turns (seller_id, lane)
		SELECT seller_id, lane FROM lanes
		WHERE pg_try_advisory_xact_lock($1, hashtext(seller_id::text || ':' || lane::text))
			AND NOT EXISTS (SELECT FROM check_turns t WHERE t.seller_id = lanes.seller_id AND t.lane = lanes.lane)
		ORDER BY seller_id, lane
		ON CONFLICT DO NOTHING
		RETURNING seller_id, lane`, turnLockClass)
	if err != nil {
		return nil, fmt.Errorf("start idle check turns: %w", mapErr(err))
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
// caller queues its next job in tx. Rows that writers commit after this
// reads are StartIdleTurns' to find.
func (s *Store) EndCheckTurn(ctx context.Context, tx *sqlx.Tx, t CheckTurn) (ended bool, err error) {
	err = tx.GetContext(ctx, &ended, `
		WITH ended AS (
			DELETE FROM check_turns WHERE seller_id = $1 AND lane = $2
				AND NOT EXISTS (SELECT FROM pending_checks WHERE seller_id = $1 AND lane = $2)
			RETURNING 1
		), renewed AS (
			UPDATE check_turns SET queued_at = now() WHERE seller_id = $1 AND lane = $2
				AND EXISTS (SELECT FROM pending_checks WHERE seller_id = $1 AND lane = $2)
			RETURNING 1
		)
		SELECT NOT EXISTS (SELECT FROM renewed)`, t.SellerID, t.Lane)
	if err != nil {
		return false, fmt.Errorf("end check turn: %w", mapErr(err))
	}
	return ended, nil
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
