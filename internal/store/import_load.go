package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// importLockKey is the session advisory lock a loader holds on its import:
// PostgreSQL releases it the moment the loader's connection dies, which is
// how a crashed load is told from a running one.
const importLockKey = `hashtext('shipwatch.import'), hashtext($1::text)`

// LockImport takes the import's load lock on conn, for as long as conn's
// session lasts or until UnlockImport. It returns false when another
// session holds it.
func (s *Store) LockImport(ctx context.Context, conn *sqlx.Conn, importID string) (bool, error) {
	var ok bool
	if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock(`+importLockKey+`)`, importID); err != nil {
		return false, fmt.Errorf("lock import: %w", mapErr(err))
	}
	return ok, nil
}

// UnlockImport releases the lock LockImport took on conn.
func (s *Store) UnlockImport(ctx context.Context, conn *sqlx.Conn, importID string) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+importLockKey+`)`, importID); err != nil {
		return fmt.Errorf("unlock import: %w", mapErr(err))
	}
	return nil
}

// StartImport marks an unfinished import PROCESSING and returns it; a
// finished one is ErrNotFound.
func (s *Store) StartImport(ctx context.Context, q sqlx.QueryerContext, sellerID, importID string) (Import, error) {
	var im Import
	err := sqlx.GetContext(ctx, q, &im, `
		UPDATE shipment_imports SET status = 'PROCESSING', started_at = coalesce(started_at, now()), heartbeat_at = now()
		WHERE seller_id = $1 AND id = $2 AND status IN ('QUEUED', 'PROCESSING')
		RETURNING `+importColumns, sellerID, importID)
	if err != nil {
		return Import{}, fmt.Errorf("start import: %w", mapErr(err))
	}
	return im, nil
}

// UpsertImportedShipments writes a batch of shipments by identity, like
// UpsertShipments, but set-based and returning only how many were created:
// a batch is thousands of rows. A known shipment whose fields are all the
// same is left untouched, so uploading a file again rewrites nothing.
// Writes must not repeat an identity.
func (s *Store) UpsertImportedShipments(ctx context.Context, tx *sqlx.Tx, sellerID string, ws []ShipmentWrite) (created int, err error) {
	if len(ws) == 0 {
		return 0, nil
	}
	err = tx.GetContext(ctx, &created, `
		WITH written AS (
			INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
				service, ship_by, shipped_at, deliver_by, destination_postal_code, destination_country,
				tracking_valid, tracking_reason, tracking_carrier, origin_postal_code, origin_country)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[],
				$12::boolean[], $13::text[], $14::text[], $15::text[], $16::text[])
			ON CONFLICT ON CONSTRAINT shipments_identity DO UPDATE SET
				carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
				service = EXCLUDED.service, ship_by = EXCLUDED.ship_by, shipped_at = EXCLUDED.shipped_at,
				deliver_by = EXCLUDED.deliver_by, destination_postal_code = EXCLUDED.destination_postal_code,
				destination_country = EXCLUDED.destination_country, tracking_valid = EXCLUDED.tracking_valid,
				tracking_reason = EXCLUDED.tracking_reason, tracking_carrier = EXCLUDED.tracking_carrier,
				origin_postal_code = EXCLUDED.origin_postal_code, origin_country = EXCLUDED.origin_country,
				updated_at = now()
			WHERE (shipments.carrier, shipments.tracking_number, shipments.service, shipments.ship_by,
				shipments.shipped_at, shipments.deliver_by, shipments.destination_postal_code,
				shipments.destination_country, shipments.tracking_valid, shipments.tracking_reason,
				shipments.tracking_carrier, shipments.origin_postal_code, shipments.origin_country)
				IS DISTINCT FROM (EXCLUDED.carrier, EXCLUDED.tracking_number, EXCLUDED.service, EXCLUDED.ship_by,
				EXCLUDED.shipped_at, EXCLUDED.deliver_by, EXCLUDED.destination_postal_code,
				EXCLUDED.destination_country, EXCLUDED.tracking_valid, EXCLUDED.tracking_reason,
				EXCLUDED.tracking_carrier, EXCLUDED.origin_postal_code, EXCLUDED.origin_country)
			RETURNING xmax = 0 AS created
		)
		SELECT count(*) FILTER (WHERE created) FROM written`,
		append([]any{sellerID}, writeColumns(ws)...)...)
	if err != nil {
		return 0, fmt.Errorf("upsert imported shipments: %w", mapErr(err))
	}
	return created, nil
}

// InsertImportErrors stores rejected rows of an import.
func (s *Store) InsertImportErrors(ctx context.Context, tx *sqlx.Tx, sellerID, importID string, errs []ImportError) error {
	if len(errs) == 0 {
		return nil
	}
	lines := make([]int64, len(errs))
	columns := make([]string, len(errs))
	messages := make([]string, len(errs))
	records := make([][]byte, len(errs))
	for i, e := range errs {
		lines[i], columns[i], messages[i], records[i] = int64(e.Line), e.Column, e.Message, e.Record
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO shipment_import_errors (seller_id, import_id, line, column_name, message, record)
		SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::bytea[])`,
		sellerID, importID, pq.Array(lines), pq.Array(columns), pq.Array(messages), pq.ByteaArray(records))
	if err != nil {
		return fmt.Errorf("insert import errors: %w", mapErr(err))
	}
	return nil
}

// ImportProgress is what one committed batch did: the checkpoint after it
// and the counts to add.
type ImportProgress struct {
	Offset          int64
	Line            int
	RowsProcessed   int // the total so far, not an increment
	Created         int
	Updated         int
	Rejected        int
	InvalidTracking int
}

// SaveImportProgress records a batch's checkpoint and counts, in the
// batch's transaction.
func (s *Store) SaveImportProgress(ctx context.Context, tx *sqlx.Tx, sellerID, importID string, p ImportProgress) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE shipment_imports SET checkpoint_offset = $3, checkpoint_line = $4, rows_processed = $5,
			created = created + $6, updated = updated + $7, rejected = rejected + $8,
			invalid_tracking = invalid_tracking + $9, heartbeat_at = now()
		WHERE seller_id = $1 AND id = $2 AND status = 'PROCESSING'`,
		sellerID, importID, p.Offset, p.Line, p.RowsProcessed, p.Created, p.Updated, p.Rejected, p.InvalidTracking)
	if err != nil {
		return fmt.Errorf("save import progress: %w", mapErr(err))
	}
	// No row: the import finished or failed meanwhile (another loader, or
	// an operator): this batch must not commit.
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("save import progress: %w", ErrNotFound)
	}
	return nil
}

// CompleteImport marks an import COMPLETED and deletes its stored file.
func (s *Store) CompleteImport(ctx context.Context, tx *sqlx.Tx, sellerID, importID string) (Import, error) {
	var im Import
	err := tx.GetContext(ctx, &im, `
		UPDATE shipment_imports SET status = 'COMPLETED', finished_at = now(), heartbeat_at = now(),
			rows_processed = coalesce(rows_total, rows_processed)
		WHERE seller_id = $1 AND id = $2 AND status = 'PROCESSING'
		RETURNING `+importColumns, sellerID, importID)
	if err != nil {
		return Import{}, fmt.Errorf("complete import: %w", mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM shipment_import_chunks WHERE import_id = $1`, importID); err != nil {
		return Import{}, fmt.Errorf("complete import: delete file: %w", mapErr(err))
	}
	return im, nil
}

// FailImport marks an unfinished import FAILED with the reason, shown to
// the seller, and deletes its stored file.
func (s *Store) FailImport(ctx context.Context, sellerID, importID, reason string) error {
	return s.Transact(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE shipment_imports SET status = 'FAILED', failure = $3, finished_at = now()
			WHERE seller_id = $1 AND id = $2 AND status IN ('QUEUED', 'PROCESSING')`, sellerID, importID, reason)
		if err != nil {
			return fmt.Errorf("fail import: %w", mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM shipment_import_chunks WHERE import_id = $1`, importID); err != nil {
			return fmt.Errorf("fail import: delete file: %w", mapErr(err))
		}
		return nil
	})
}

// ImportRef names an import across sellers, for the resume sweep.
type ImportRef struct {
	SellerID string `db:"seller_id"`
	ID       string `db:"id"`
	Resumes  int    `db:"resumes"`
}

// ClaimOrphanedImports finds PROCESSING imports whose loader is gone (no
// session holds the load lock) and that have shown no progress for
// staleAfter, and counts a resume on each, in the caller's transaction. The
// heartbeat it sets keeps the next sweep from claiming them again before a
// new loader had a chance to start.
func (s *Store) ClaimOrphanedImports(ctx context.Context, tx *sqlx.Tx, staleAfter time.Duration) ([]ImportRef, error) {
	refs := []ImportRef{}
	// The CTEs are materialised so the lock is tried only on candidates:
	// trying it takes it until commit, and a live loader starting meanwhile
	// would step back.
	err := tx.SelectContext(ctx, &refs, `
		WITH stale AS MATERIALIZED (
			SELECT id FROM shipment_imports
			WHERE status = 'PROCESSING' AND heartbeat_at < now() - $1::interval
			FOR UPDATE SKIP LOCKED
		), orphans AS MATERIALIZED (
			SELECT id FROM stale WHERE pg_try_advisory_xact_lock(hashtext('shipwatch.import'), hashtext(id::text))
		)
		UPDATE shipment_imports i SET heartbeat_at = now(), resumes = resumes + 1
		FROM orphans o WHERE i.id = o.id
		RETURNING i.seller_id, i.id, i.resumes`, fmt.Sprintf("%d milliseconds", staleAfter.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("claim orphaned imports: %w", mapErr(err))
	}
	return refs, nil
}
