package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Mark is where a read of a seller's shipments stands among the seller's
// writes: the snapshot it read in, and the seller's notes of the writes
// a shipment's change_xid cannot show (a deletion, a dispute, settings:
// seller_changes.other_xid, migration 0260). A later read finds what was
// written since by ShipmentsChanged.
type Mark struct {
	snapshot string
	others   string
}

// readMark returns the Mark of q's snapshot (in a transaction, the
// snapshot of its reads).
func readMark(ctx context.Context, q sqlx.QueryerContext, sellerID string) (Mark, error) {
	var m Mark
	err := q.QueryRowxContext(ctx, `
		SELECT pg_current_snapshot()::text, coalesce((SELECT string_agg(backend::text || ':' || other_xid::text, ',' ORDER BY backend)
			FROM seller_changes WHERE seller_id = $1 AND other_xid IS NOT NULL), '')`, sellerID).Scan(&m.snapshot, &m.others)
	if err != nil {
		return Mark{}, fmt.Errorf("seller mark: %w", mapErr(err))
	}
	return m, nil
}

// changedSince selects the seller's ($1) shipments sh written by a
// transaction that the snapshot snap (a parameter) does not see: inserted
// or updated since it (every write sets change_xid, migration 0260).
// Those transactions' ids are at least the snapshot's xmin, so the index
// shipments_change_xid_idx reads only them.
func changedSince(snap string) string {
	return `sh.seller_id = $1 AND sh.change_xid >= pg_snapshot_xmin(` + snap + `::pg_snapshot)
		AND NOT pg_visible_in_snapshot(sh.change_xid, ` + snap + `::pg_snapshot)`
}

// OpenShipmentsMarked is OpenShipments with the Mark of the snapshot it
// read them in.
func (s *Store) OpenShipmentsMarked(ctx context.Context, sellerID string, since, now time.Time) ([]Shipment, Mark, error) {
	var out []Shipment
	var m Mark
	err := s.readSnapshot(ctx, func(tx *sqlx.Tx) error {
		var err error
		if m, err = readMark(ctx, tx, sellerID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+leanColumns+` FROM shipments sh
			WHERE seller_id = $1 AND `+openCondition, sellerID, since, now)
		if err != nil {
			return fmt.Errorf("open shipments: %w", mapErr(err))
		}
		if out, _, err = scanLean(rows, false); err != nil {
			return fmt.Errorf("open shipments: %w", err)
		}
		return nil
	})
	return out, m, err
}

// ShipmentsChanged returns the seller's shipments inserted or updated
// since m (as OpenShipments reads them, any of them, open or not), with
// whether each is one OpenShipments(since, now) reads, and the Mark of
// the snapshot it read them in. ok is false (and nothing read) when m
// cannot tell what changed: a shipment was deleted, a dispute or the
// seller's settings written since m; the caller reads afresh.
func (s *Store) ShipmentsChanged(ctx context.Context, sellerID string, m Mark, since, now time.Time) (changed []Shipment, open []bool, next Mark, ok bool, err error) {
	err = s.readSnapshot(ctx, func(tx *sqlx.Tx) error {
		if next, err = readMark(ctx, tx, sellerID); err != nil {
			return err
		}
		if next.others != m.others {
			return nil
		}
		ok = true
		rows, err := tx.QueryContext(ctx, shipmentsChangedSQL, sellerID, since, now, m.snapshot)
		if err != nil {
			return fmt.Errorf("shipments changed: %w", mapErr(err))
		}
		if changed, open, err = scanLean(rows, true); err != nil {
			return fmt.Errorf("shipments changed: %w", err)
		}
		return nil
	})
	return changed, open, next, ok, err
}

// shipmentsChangedSQL reads the seller's ($1) shipments written since the
// snapshot $4, each with whether OpenShipments at since ($2) and now ($3)
// reads it.
var shipmentsChangedSQL = `SELECT ` + leanColumns + `, coalesce((` + openCondition + `), false) FROM shipments sh
	WHERE ` + changedSince("$4")

// readSnapshot runs fn in a read-only repeatable read transaction: its
// reads see one snapshot.
func (s *Store) readSnapshot(ctx context.Context, fn func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	return fn(tx)
}
