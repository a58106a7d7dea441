package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/shipwatch/shipwatch/migrations"
)

// migrateLockKey is the advisory lock that serialises migrations across
// processes starting at the same time ("shipwatch" in ASCII, truncated).
const migrateLockKey = 0x73686970776174

// noTransactionMarker, as the first line of a migration, makes the runner
// apply it statement by statement outside a transaction: what
// CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY need.
const noTransactionMarker = "-- shipwatch:no-transaction"

// migrateLockPoll is how often a process waiting for another one's
// migration tries the lock again.
const migrateLockPoll = 250 * time.Millisecond

// Migrate applies Shipwatch's pending migrations and River's, under a
// session advisory lock so concurrent starts migrate once, then runs the
// pending batched backfills. It refuses to start, naming the file, when a
// migration applied earlier was edited since.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate(ctx, db, migrations.FS)
}

func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if err := lockMigrations(ctx, conn); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey) //nolint:errcheck // released with the session anyway

	migrator, err := rivermigrate.New(riverdatabasesql.New(db), nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	// checksum is the SHA-256 of the file as applied; NULL on rows written
	// before the runner recorded checksums, filled in on the next start.
	if _, err := conn.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    int PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now());
		ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text;
		`+backfillTableSQL); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := migrationFiles(fsys)
	if err != nil {
		return err
	}
	pending, err := checkApplied(ctx, conn, files)
	if err != nil {
		return err
	}
	for _, f := range pending {
		if err := applyMigration(ctx, conn, f); err != nil {
			return err
		}
	}
	return runBackfills(ctx, conn)
}

// lockMigrations takes the migration lock, trying again until it is free.
// A process waiting in pg_advisory_lock would hold a snapshot for as long
// as it waits, and CREATE INDEX CONCURRENTLY in the process migrating waits
// for every older snapshot to go: the two would deadlock. Short tries
// hold none.
func lockMigrations(ctx context.Context, conn *sql.Conn) error {
	for {
		var locked bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, migrateLockKey).Scan(&locked); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if locked {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: wait for another process's migration: %w", ctx.Err())
		case <-time.After(migrateLockPoll):
		}
	}
}

type migrationFile struct {
	version  int
	name     string
	body     string
	checksum string // lower-case hex SHA-256 of body
}

// noTransaction reports whether f must run outside a transaction.
func (f migrationFile) noTransaction() bool {
	first, _, _ := strings.Cut(f.body, "\n")
	return strings.TrimSpace(first) == noTransactionMarker
}

// migrationFiles reads the migrations in fsys in version order.
func migrationFiles(fsys fs.FS) ([]migrationFile, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var files []migrationFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		files = append(files, migrationFile{version: v, name: e.Name(), body: string(body), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	for i := 1; i < len(files); i++ {
		if files[i].version == files[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", files[i-1].name, files[i].name, files[i].version)
		}
	}
	return files, nil
}

// ErrMigrationEdited is returned when a migration applied earlier no longer
// matches its file: the database was built from other SQL than the
// repository holds, and applying more on top of it is a guess.
var ErrMigrationEdited = errors.New("applied migration was edited")

// checkApplied compares the applied migrations' checksums with the files,
// records the checksums of migrations applied before checksums were kept,
// and returns the files still to apply.
func checkApplied(ctx context.Context, conn *sql.Conn, files []migrationFile) ([]migrationFile, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version, coalesce(checksum, '') FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	var pending []migrationFile
	for _, f := range files {
		sum, ok := applied[f.version]
		switch {
		case !ok:
			pending = append(pending, f)
		case sum == "":
			if _, err := conn.ExecContext(ctx, `UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL`, f.version, f.checksum); err != nil {
				return nil, fmt.Errorf("record checksum of %s: %w", f.name, err)
			}
		case sum != f.checksum:
			return nil, fmt.Errorf("migration %s: %w since (recorded sha256 %s, file %s): restore the file and put the change in a new migration",
				f.name, ErrMigrationEdited, sum[:12], f.checksum[:12])
		}
	}
	return pending, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, f migrationFile) error {
	if f.noTransaction() {
		return applyWithoutTransaction(ctx, conn, f)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if _, err := tx.ExecContext(ctx, f.body); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	if err := recordMigration(ctx, tx, f); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	return nil
}

// applyWithoutTransaction runs f's statements one at a time: a string of
// several statements would run as one implicit transaction, which
// CONCURRENTLY refuses. A statement that fails leaves the earlier ones
// applied and the migration unrecorded, so the next start runs the file
// again: such files are written to be re-run (IF EXISTS, IF NOT EXISTS).
func applyWithoutTransaction(ctx context.Context, conn *sql.Conn, f migrationFile) error {
	stmts, err := splitStatements(f.body)
	if err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	for i, s := range stmts {
		if _, err := conn.ExecContext(ctx, s.sql); err != nil {
			return fmt.Errorf("migration %s (no transaction) failed at statement %d of %d, line %d: %w; "+
				"the statements before it stay applied and the migration is not recorded: fix the cause and start again to re-run the file%s",
				f.name, i+1, len(stmts), s.line, err, invalidIndexes(ctx, conn))
		}
	}
	if err := recordMigration(ctx, conn, f); err != nil {
		return err
	}
	return nil
}

// invalidIndexes names the indexes a failed CREATE INDEX CONCURRENTLY left
// behind, for the error message: they cost writes until dropped or rebuilt.
func invalidIndexes(ctx context.Context, conn *sql.Conn) string {
	var names []string
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(array_agg(indexrelid::regclass::text ORDER BY 1), '{}') FROM pg_index WHERE NOT indisvalid`).Scan(pq.Array(&names)); err != nil || len(names) == 0 {
		return ""
	}
	return "; invalid indexes left behind: " + strings.Join(names, ", ")
}

func recordMigration(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, f migrationFile) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, f.version, f.name, f.checksum); err != nil {
		return fmt.Errorf("migration %s: record: %w", f.name, err)
	}
	return nil
}

// MigrationsCurrent reports whether every embedded migration, ours and
// River's, has been applied: what /readyz asks before taking traffic.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	files, err := migrationFiles(migrations.FS)
	if err != nil {
		return false, err
	}
	var applied int
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ANY($1)`, pq.Array(versions(files))).Scan(&applied)
	if err != nil {
		return false, fmt.Errorf("read schema_migrations: %w", err)
	}
	if applied != len(files) {
		return false, nil
	}
	migrator, err := rivermigrate.New(riverdatabasesql.New(s.db.DB), nil)
	if err != nil {
		return false, fmt.Errorf("river migrator: %w", err)
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("validate river migrations: %w", err)
	}
	return res.OK, nil
}

func versions(files []migrationFile) []int64 {
	out := make([]int64, len(files))
	for i, f := range files {
		out[i] = int64(f.version)
	}
	return out
}
