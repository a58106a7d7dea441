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
func (s *Store) LockImport(ctx context.Context, conn *Conn, importID string) (bool, error) {
	var ok bool
	if err := conn.c.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock(`+importLockKey+`)`, importID); err != nil {
		return false, fmt.Errorf("lock import: %w", mapErr(err))
	}
	return ok, nil
}

// UnlockImport releases the lock LockImport took on conn. When it cannot,
// the connection is closed instead of going back to the pool: the lock
// belongs to its session, and ends with it.
func (s *Store) UnlockImport(ctx context.Context, conn *Conn, importID string) error {
	if _, err := conn.c.ExecContext(ctx, `SELECT pg_advisory_unlock(`+importLockKey+`)`, importID); err != nil {
		conn.bad = true
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

// UpsertImportedShipments writes a batch of shipments by identity through
// the same statement as UpsertShipments, returning only how many were
// created: a batch is thousands of rows. A known shipment whose fields are
// all the same is left untouched, so uploading a file again rewrites
// nothing. Writes must not repeat an identity.
func (s *Store) UpsertImportedShipments(ctx context.Context, tx *sqlx.Tx, sellerID string, ws []ShipmentWrite) (created int, err error) {
	if len(ws) == 0 {
		return 0, nil
	}
	err = tx.GetContext(ctx, &created, `
		WITH `+upsertInput+`, `+upsertCounted+`
		SELECT count(*) FILTER (WHERE created) FROM written`,
		upsertArgs(sellerID, ws)...)
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

// ImportProgress is what one committed batch did: the range of the file
// it covered and the counts to add.
type ImportProgress struct {
	Start           int64 // offset of the batch's first row
	Offset          int64 // offset after its last row
	Line            int   // number of the line after its last row
	Lines           int   // lines it read, rejected rows included
	Created         int
	Updated         int
	Rejected        int
	InvalidTracking int
}

// SaveImportProgress records a batch's range and counts, in the batch's
// transaction, and moves the import's checkpoint past every batch now
// committed without a gap after it. origin is where the first batch of the
// file starts (the checkpoint before any). Batches may commit in any
// order: one committed beyond the checkpoint stays in
// shipment_import_batches until the batches before it are in. Concurrent
// batches of one load wait here on each other for the import row only, as
// their last statement: none holds it while it waits on anything else.
func (s *Store) SaveImportProgress(ctx context.Context, tx *sqlx.Tx, sellerID, importID string, origin int64, p ImportProgress) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO shipment_import_batches (import_id, seller_id, start_offset, end_offset, end_line)
		VALUES ($2, $1, $3, $4, $5)`, sellerID, importID, p.Start, p.Offset, p.Line); err != nil {
		return fmt.Errorf("save import progress: %w", mapErr(err))
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE shipment_imports SET rows_processed = rows_processed + $3,
			created = created + $4, updated = updated + $5, rejected = rejected + $6,
			invalid_tracking = invalid_tracking + $7, heartbeat_at = now()
		WHERE seller_id = $1 AND id = $2 AND status = 'PROCESSING'`,
		sellerID, importID, p.Lines, p.Created, p.Updated, p.Rejected, p.InvalidTracking)
	if err != nil {
		return fmt.Errorf("save import progress: %w", mapErr(err))
	}
	// No row: the import finished or failed meanwhile (another loader, or
	// an operator): this batch must not commit.
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("save import progress: %w", ErrNotFound)
	}
	// With the import's row locked, this statement's snapshot sees every
	// batch committed before: the chain from the checkpoint is complete.
	_, err = tx.ExecContext(ctx, `
		WITH RECURSIVE imp AS MATERIALIZED (
			SELECT coalesce(checkpoint_offset, $3) AS checkpoint FROM shipment_imports WHERE seller_id = $1 AND id = $2
		), chain AS (
			SELECT b.start_offset, b.end_offset, b.end_line FROM imp
			JOIN shipment_import_batches b ON b.import_id = $2 AND b.start_offset = imp.checkpoint
			UNION ALL
			SELECT b.start_offset, b.end_offset, b.end_line FROM chain
			JOIN shipment_import_batches b ON b.import_id = $2 AND b.start_offset = chain.end_offset
		), absorbed AS (
			DELETE FROM shipment_import_batches b USING chain c
			WHERE b.import_id = $2 AND b.start_offset = c.start_offset
		)
		UPDATE shipment_imports i SET checkpoint_offset = last.end_offset, checkpoint_line = last.end_line
		FROM (SELECT end_offset, end_line FROM chain ORDER BY end_offset DESC LIMIT 1) last
		WHERE i.seller_id = $1 AND i.id = $2`, sellerID, importID, origin)
	if err != nil {
		return fmt.Errorf("save import progress: checkpoint: %w", mapErr(err))
	}
	return nil
}

// ImportBatch is a range of an import's file committed beyond its
// checkpoint.
type ImportBatch struct {
	Start   int64 `db:"start_offset"`
	End     int64 `db:"end_offset"`
	EndLine int   `db:"end_line"`
}

// ImportBatchesAhead returns the import's batches committed beyond its
// checkpoint, by offset: what a resumed load skips.
func (s *Store) ImportBatchesAhead(ctx context.Context, sellerID, importID string) ([]ImportBatch, error) {
	out := []ImportBatch{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT start_offset, end_offset, end_line FROM shipment_import_batches
		WHERE seller_id = $1 AND import_id = $2 ORDER BY start_offset`, sellerID, importID)
	if err != nil {
		return nil, fmt.Errorf("import batches ahead: %w", mapErr(err))
	}
	return out, nil
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM shipment_import_batches WHERE seller_id = $1 AND import_id = $2`, sellerID, importID); err != nil {
		return Import{}, fmt.Errorf("complete import: delete batches: %w", mapErr(err))
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM shipment_import_batches WHERE seller_id = $1 AND import_id = $2`, sellerID, importID); err != nil {
			return fmt.Errorf("fail import: delete batches: %w", mapErr(err))
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
