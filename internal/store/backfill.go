package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// backfillTableSQL creates the table of batched backfills. A migration that
// needs rows written before it brought up to date registers a backfill
// (INSERT INTO schema_backfills (name) VALUES (...)) instead of updating
// every row in its own transaction; the runner then walks the table in
// batches of backfillBatch rows, one transaction each, recording in upto
// the last key done, so a stopped process resumes where it was.
const backfillTableSQL = `
	CREATE TABLE IF NOT EXISTS schema_backfills (
		name        text PRIMARY KEY,
		upto        uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
		rows        bigint NOT NULL DEFAULT 0,
		started_at  timestamptz NOT NULL DEFAULT now(),
		finished_at timestamptz
	);`

// backfillBatch is how many rows one backfill transaction covers: small
// enough that the writers it makes wait (see healthCountsBackfill) wait
// for milliseconds, large enough that a million rows take a few hundred
// transactions.
const backfillBatch = 5000

// A backfill walks one table by its uuid primary key.
type backfill struct {
	// next returns the key of the last row of the batch after $1, of at
	// most $2 rows (NULL when no row is left), and the batch's row count.
	next string
	// step brings the rows with keys in (after, upto] up to date.
	step func(ctx context.Context, tx *sql.Tx, after, upto string) error
}

// backfills are the backfills migrations may register, by name.
var backfills = map[string]backfill{
	"health_counts": healthCountsBackfill,
}

// healthCountsBackfill counts into the account-health rollup the shipments
// written before migration 0007. The trigger of 0007 counts a shipment's
// changes only once the backfill has passed its id (it reads upto under a
// share lock), and a batch locks the backfill's row before it counts: a
// writer whose trigger ran first is waited for and its rows are counted in
// their new state by the batch; a writer whose trigger runs after waits for
// the batch and counts its change against the state the batch counted. So
// every shipment is counted exactly once, whatever writes while it runs.
var healthCountsBackfill = backfill{
	next: `WITH b AS (SELECT id FROM shipments WHERE id > $1 ORDER BY id LIMIT $2)
		SELECT (SELECT id::text FROM b ORDER BY id DESC LIMIT 1), (SELECT count(*) FROM b)`,
	step: func(ctx context.Context, tx *sql.Tx, after, upto string) error {
		var q string
		var cut time.Time
		if err := tx.QueryRowContext(ctx, `
			SELECT health_count_sql('SELECT 1 AS sign, * FROM shipments WHERE id > $2 AND id <= $3'),
				date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00')`).Scan(&q, &cut); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, q, cut, after, upto)
		return err
	},
}

// runBackfills runs every registered backfill that has not finished, to the
// end, on conn (which holds the migration lock).
func runBackfills(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM schema_backfills WHERE finished_at IS NULL ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read schema_backfills: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("read schema_backfills: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_backfills: %w", err)
	}
	for _, name := range names {
		b, ok := backfills[name]
		if !ok {
			return fmt.Errorf("backfill %q is registered but this version does not know it", name)
		}
		for {
			done, err := backfillStep(ctx, conn, name, b)
			if err != nil {
				return fmt.Errorf("backfill %s: %w", name, err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// backfillStep runs one batch of backfill name in its own transaction and
// reports whether the backfill is finished.
func backfillStep(ctx context.Context, conn *sql.Conn, name string, b backfill) (done bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	// The row lock comes first: see healthCountsBackfill for why.
	var after string
	err = tx.QueryRowContext(ctx, `SELECT upto::text FROM schema_backfills WHERE name = $1 AND finished_at IS NULL FOR UPDATE`, name).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	var upto sql.NullString
	var n int64
	if err := tx.QueryRowContext(ctx, b.next, after, backfillBatch).Scan(&upto, &n); err != nil {
		return false, err
	}
	if !upto.Valid {
		if _, err := tx.ExecContext(ctx, `UPDATE schema_backfills SET finished_at = now() WHERE name = $1`, name); err != nil {
			return false, err
		}
		return true, tx.Commit()
	}
	if err := b.step(ctx, tx, after, upto.String); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_backfills SET upto = $2, rows = rows + $3 WHERE name = $1`, name, upto.String, n); err != nil {
		return false, err
	}
	return false, tx.Commit()
}
