package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// LockChecked locks the seller's shipments with these ids and those
// carrying the same numbers (whose DUPLICATE_TRACKING flag a write can
// change), in ascending id, in one statement, and returns their ids: the
// shipments a check may raise or resolve flags on. A shipment's row lock
// owns its flags (docs/locking.md), so two checks, or a check and the
// sweep, never wait on each other's flags.
func (s *Store) LockChecked(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]string, error) {
	locked := []string{}
	if len(ids) == 0 {
		return locked, nil
	}
	err := sqlx.SelectContext(ctx, q, &locked, lockCheckedSQL, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("lock checked shipments: %w", mapErr(err))
	}
	return locked, nil
}

// lockCheckedSQL reads each given id by primary key and each of their
// numbers by (seller, number), whatever the statistics say (a table
// filling during an import has none fresh), then locks the rows one by
// one by primary key in ascending id. The seller of the number lookup
// comes from the rows, not from $1: compared with a constant, a seller the
// statistics have not seen looks like one row, and the planner reads its
// whole range of a one-column index instead of (seller, number).
const lockCheckedSQL = `
	WITH given AS MATERIALIZED (
		SELECT s.id, s.seller_id, s.normalized_tracking_number FROM unnest($2::uuid[]) AS k(id)
		CROSS JOIN LATERAL (SELECT id, seller_id, normalized_tracking_number FROM shipments WHERE id = k.id OFFSET 0) s
		WHERE s.seller_id = $1
	), same AS MATERIALIZED (
		SELECT id FROM given
		UNION
		SELECT o.id FROM (SELECT DISTINCT seller_id, normalized_tracking_number AS n FROM given WHERE normalized_tracking_number <> '') g
		CROSS JOIN LATERAL (SELECT id FROM shipments
			WHERE seller_id = g.seller_id AND normalized_tracking_number = g.n OFFSET 0) o
	)
	SELECT l.id FROM (SELECT id FROM same ORDER BY id) k
	CROSS JOIN LATERAL (SELECT id FROM shipments WHERE id = k.id FOR NO KEY UPDATE) l`

// FlagChanges finds, for one seller at time at, the shipments whose flag
// of the rule's kind would be raised or resolved, in ascending id, without
// locking them: the sweep locks the changes of all its rules at once
// (LockUnlocked) and then applies each rule to the shipments it locked
// (ApplyRule), which reads them again by key. It reads the candidates
// through the rule's partial indexes without their messages
// (flag.Rule.Matches) and the seller's flags of the kind once, and
// compares the two with a full join, which PostgreSQL can only run as a
// hash or merge join. The NOT IN it replaced is hashed only when the
// planner expects the hash to fit in work_mem: on a million shipments it
// expected a rule's candidates not to, and tested every flag against every
// candidate (a steady sweep of 14.6 s). Every change is one of the
// seller's shipments (its candidates and the shipments of its flags).
//
// The sweep finds a seller's changes once and splits them into parts
// (ShipmentPart.Keep) that it locks and applies on connections of their
// own at once.
func (s *Store) FlagChanges(ctx context.Context, q sqlx.QueryerContext, r flag.Rule, sellerID string, at time.Time) ([]string, error) {
	ids := []string{}
	err := sqlx.SelectContext(ctx, q, &ids, flagChangesSQL(r), sellerID, at, nil, r.Kind)
	if err != nil {
		return nil, fmt.Errorf("find %s changes: %w", r.Kind, mapErr(err))
	}
	return ids, nil
}

// flagChangesSQL is FlagChanges's statement for a rule: $1 the seller, $2
// the time, $3 NULL and $4 the kind.
func flagChangesSQL(r flag.Rule) string {
	return `
		WITH c AS MATERIALIZED (SELECT m.shipment_id FROM (` + r.Matches() + `
			) m
		), held AS MATERIALIZED (
			SELECT shipment_id FROM flags
			WHERE seller_id = $1 AND kind = $4 AND (resolved_at IS NULL OR suppressing)
		)
		SELECT DISTINCT coalesce(c.shipment_id, h.shipment_id) AS id
		FROM c FULL JOIN held h ON h.shipment_id = c.shipment_id
		WHERE (c.shipment_id IS NULL OR h.shipment_id IS NULL)
			AND $2::timestamptz IS NOT NULL AND $3::uuid[] IS NULL -- typed here for the rules that do not read them
		ORDER BY id`
}

// LockUnlocked locks the seller's shipments with these ids that no other
// transaction holds, without waiting (ascending id, SKIP LOCKED), in one
// statement, and returns the ids it locked, ascending. A shipment it skips
// is being written, and that write queues a check of every rule. It locks
// the rows one by one by primary key alone: with the seller's condition
// beside the key, and statistics that make the seller look small, the
// planner read the seller's whole range of another index instead.
func (s *Store) LockUnlocked(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]string, error) {
	locked := []string{}
	if len(ids) == 0 {
		return locked, nil
	}
	err := sqlx.SelectContext(ctx, q, &locked, lockUnlockedSQL, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("lock shipments: %w", mapErr(err))
	}
	return locked, nil
}

const lockUnlockedSQL = `
	SELECT l.id FROM (SELECT DISTINCT id FROM unnest($2::uuid[]) AS k(id) ORDER BY id) k
	CROSS JOIN LATERAL (SELECT id, seller_id FROM shipments WHERE id = k.id FOR NO KEY UPDATE SKIP LOCKED OFFSET 0) l
	WHERE l.seller_id = $1
	ORDER BY l.id`

// ShipmentPart is one of Of parts of a seller's shipments: those whose
// id's last byte is Index modulo Of. The zero part is every shipment.
//
// The last byte is random in every id, the random ones of
// gen_random_uuid() and the time-ordered ones of migration 0160 alike, so
// each part holds about 1/Of of the shipments whenever they were created
// (a split by id range put every time-ordered id in the first part).
type ShipmentPart struct{ Index, Of int }

// Holds reports whether the shipment id belongs to the part.
func (p ShipmentPart) Holds(id string) bool {
	if p.Of <= 1 {
		return true
	}
	b, err := strconv.ParseUint(id[len(id)-2:], 16, 8)
	return err == nil && int(b)%p.Of == p.Index
}

// Keep returns the ids of the part, in their order.
func (p ShipmentPart) Keep(ids []string) []string {
	var out []string
	for _, id := range ids {
		if p.Holds(id) {
			out = append(out, id)
		}
	}
	return out
}

// ShipmentParts splits a seller's shipments into n parts of about the same
// size.
func ShipmentParts(n int) []ShipmentPart {
	if n <= 1 {
		return []ShipmentPart{{}}
	}
	parts := make([]ShipmentPart, n)
	for i := range parts {
		parts[i] = ShipmentPart{Index: i, Of: n}
	}
	return parts
}

// SellersLoading returns the ids of sellers with an import whose loader
// showed progress within the last `within` (a PROCESSING import whose
// heartbeat, moved by every batch, is that recent), in id order. A loader
// that died stops moving it, so its seller counts as loading no longer.
func (s *Store) SellersLoading(ctx context.Context, within time.Duration) ([]string, error) {
	ids := []string{}
	err := s.db.SelectContext(ctx, &ids, `
		SELECT DISTINCT seller_id FROM shipment_imports
		WHERE status = 'PROCESSING' AND heartbeat_at > now() - $1::interval
		ORDER BY seller_id`, fmt.Sprintf("%d milliseconds", within.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("sellers loading: %w", mapErr(err))
	}
	return ids, nil
}

// SellersWithShipments returns the ids of sellers that have shipments,
// in id order: the sweep's sellers.
func (s *Store) SellersWithShipments(ctx context.Context) ([]string, error) {
	ids := []string{}
	err := s.db.SelectContext(ctx, &ids, `
		SELECT se.id FROM sellers se
		WHERE EXISTS (SELECT 1 FROM shipments sh WHERE sh.seller_id = se.id)
		ORDER BY se.id`)
	if err != nil {
		return nil, fmt.Errorf("sellers with shipments: %w", mapErr(err))
	}
	return ids, nil
}
