package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// openForPolling is the SQL condition of a shipment (sh) the poller
// follows: not cancelled, not delivered, not returned, with a number.
// carrier.PollState.Closed is the same rule in Go, applied when a claimed
// shipment is read.
const openForPolling = `sh.cancelled_at IS NULL AND sh.delivered_at IS NULL
	AND sh.status NOT IN ('DELIVERED', 'RETURNED_TO_SENDER', 'CANCELLED') AND sh.normalized_tracking_number <> ''`

// SyncPolls puts the seller's open shipments of a carrier (its code, as
// detected from the number or else as declared) that are not on the
// account's schedule yet on it, due now, unless the account was synced
// within every; it returns how many it added, each at the priority
// prioritySQL gives (carrier.Policy.PrioritySQL). Set-based: one statement.
func (s *Store) SyncPolls(ctx context.Context, sellerID, accountID, carrierCode string, now time.Time, every time.Duration, prioritySQL string) (int, error) {
	var n int
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		var due []bool
		if err := tx.SelectContext(ctx, &due, `
			UPDATE carrier_accounts SET polls_synced_at = $3
			WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
				AND (polls_synced_at IS NULL OR polls_synced_at <= $3::timestamptz - $4::bigint * interval '1 microsecond')
			RETURNING true`, sellerID, accountID, now, every.Microseconds()); err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO carrier_polls (shipment_id, seller_id, account_id, next_poll_at, priority)
			SELECT sh.id, sh.seller_id, $2, $4, `+prioritySQL+`
			FROM shipments sh JOIN sellers se ON se.id = sh.seller_id
			WHERE sh.seller_id = $1 AND `+openForPolling+`
				AND (sh.tracking_carrier = $3 OR (sh.tracking_carrier = '' AND sh.carrier = $3))
			ON CONFLICT (shipment_id) DO NOTHING`, sellerID, accountID, carrierCode, now)
		if err != nil {
			return err
		}
		rows, err := res.RowsAffected()
		n = int(rows)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sync polls: %w", mapErr(err))
	}
	return n, nil
}

// PollTarget is a claimed shipment with what the poller needs of it.
type PollTarget struct {
	ShipmentID            string     `db:"shipment_id"`
	TrackingNumber        string     `db:"tracking_number"`
	NormalizedNumber      string     `db:"normalized_tracking_number"`
	Status                string     `db:"status"`
	CreatedAt             time.Time  `db:"created_at"`
	ShippedAt             *time.Time `db:"shipped_at"`
	FirstScanAt           *time.Time `db:"first_scan_at"`
	LastEventAt           *time.Time `db:"last_event_at"`
	ShipBy                *time.Time `db:"ship_by"`
	CancelledAt           *time.Time `db:"cancelled_at"`
	InactiveTrackingHours int        `db:"inactive_tracking_hours"`
	Priority              int        `db:"priority"`
}

// ClaimPolls takes up to limit of the account's due shipments, most
// urgent first, and moves their next poll lease ahead in the same
// statement: a replica polling at the same time skips them (SKIP LOCKED)
// and, once committed, does not see them as due. A poller that dies
// leaves them due again when the lease ends.
func (s *Store) ClaimPolls(ctx context.Context, sellerID, accountID string, now time.Time, lease time.Duration, limit int) ([]PollTarget, error) {
	rows := []PollTarget{}
	err := s.db.SelectContext(ctx, &rows, `
		WITH due AS (
			SELECT p.shipment_id FROM carrier_polls p
			WHERE p.account_id = $2 AND p.seller_id = $1 AND p.next_poll_at <= $3
			ORDER BY p.priority, p.next_poll_at
			LIMIT $5 FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE carrier_polls p SET next_poll_at = $3::timestamptz + $4::bigint * interval '1 microsecond'
			FROM due WHERE p.shipment_id = due.shipment_id AND p.seller_id = $1
			RETURNING p.shipment_id, p.priority
		)
		SELECT c.shipment_id, c.priority, sh.tracking_number, sh.normalized_tracking_number, sh.status, sh.created_at,
			sh.shipped_at, sh.first_scan_at, sh.last_event_at, sh.ship_by, sh.cancelled_at, se.inactive_tracking_hours
		FROM claimed c
		JOIN shipments sh ON sh.id = c.shipment_id AND sh.seller_id = $1
		JOIN sellers se ON se.id = $1
		ORDER BY c.priority, sh.normalized_tracking_number`, sellerID, accountID, now, lease.Microseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim polls: %w", mapErr(err))
	}
	return rows, nil
}

// PollUpdate is what became of one claimed shipment.
type PollUpdate struct {
	ShipmentID string
	// Done removes the shipment from the schedule (it is closed).
	Done     bool
	Next     time.Time
	Priority int
	// Polled says a request was made for it (not skipped by a failure).
	Polled bool
	Result string
}

// ReschedulePolls writes the outcome of claimed shipments: their next
// poll, or their removal from the schedule. Two statements, set-based.
func (s *Store) ReschedulePolls(ctx context.Context, sellerID string, now time.Time, us []PollUpdate) error {
	var (
		done         []string
		ids, results []string
		nexts        []time.Time
		priorities   []int64
		polled       []bool
	)
	for _, u := range us {
		if u.Done {
			done = append(done, u.ShipmentID)
			continue
		}
		ids, nexts, priorities, polled, results = append(ids, u.ShipmentID), append(nexts, u.Next),
			append(priorities, int64(u.Priority)), append(polled, u.Polled), append(results, u.Result)
	}
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		if len(done) > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM carrier_polls WHERE seller_id = $1 AND shipment_id = ANY($2::uuid[])`,
				sellerID, pq.Array(done)); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE carrier_polls p SET next_poll_at = u.next, priority = u.priority,
				last_polled_at = CASE WHEN u.polled THEN $2 ELSE p.last_polled_at END,
				polls = p.polls + CASE WHEN u.polled THEN 1 ELSE 0 END,
				last_result = u.result
			FROM unnest($3::uuid[], $4::timestamptz[], $5::smallint[], $6::boolean[], $7::text[]) AS u(id, next, priority, polled, result)
			WHERE p.seller_id = $1 AND p.shipment_id = u.id`,
			sellerID, now, pq.Array(ids), pq.Array(nexts), pq.Array(priorities), pq.Array(polled), pq.Array(results))
		return err
	})
	if err != nil {
		return fmt.Errorf("reschedule polls: %w", mapErr(err))
	}
	return nil
}

// PollRow is a carrier_polls row, for tests and the seller's view.
type PollRow struct {
	ShipmentID   string     `db:"shipment_id"`
	AccountID    string     `db:"account_id"`
	NextPollAt   time.Time  `db:"next_poll_at"`
	Priority     int        `db:"priority"`
	LastPolledAt *time.Time `db:"last_polled_at"`
	Polls        int        `db:"polls"`
	LastResult   string     `db:"last_result"`
}

// Poll returns a shipment's place on the poll schedule.
func (s *Store) Poll(ctx context.Context, sellerID, shipmentID string) (PollRow, error) {
	var r PollRow
	err := s.db.GetContext(ctx, &r, `SELECT shipment_id, account_id, next_poll_at, priority, last_polled_at, polls, last_result
		FROM carrier_polls WHERE seller_id = $1 AND shipment_id = $2`, sellerID, shipmentID)
	if err != nil {
		return PollRow{}, fmt.Errorf("poll: %w", mapErr(err))
	}
	return r, nil
}
