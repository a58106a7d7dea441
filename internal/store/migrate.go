package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/lib/pq"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/shipwatch/shipwatch/migrations"
)

// migrateLockKey is the advisory lock that serialises migrations across
// processes starting at the same time ("shipwatch" in ASCII, truncated).
const migrateLockKey = 0x73686970776174

// Migrate applies Shipwatch's pending migrations and River's, under a
// session advisory lock so concurrent starts migrate once.
func Migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey) //nolint:errcheck // released with the session anyway

	migrator, err := rivermigrate.New(riverdatabasesql.New(db), nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    int PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := applyMigration(ctx, conn, f); err != nil {
			return err
		}
	}
	return nil
}

type migrationFile struct {
	version int
	name    string
}

// migrationFiles lists the embedded migrations in version order.
func migrationFiles() ([]migrationFile, error) {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var files []migrationFile
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %q is not named NNNN_name.sql", e.Name())
		}
		files = append(files, migrationFile{version: v, name: e.Name()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	return files, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, f migrationFile) error {
	body, err := fs.ReadFile(migrations.FS, f.name)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", f.name, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	var done bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, f.version).Scan(&done); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, f.version, f.name); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", f.name, err)
	}
	return nil
}

// MigrationsCurrent reports whether every embedded migration, ours and
// River's, has been applied: what /readyz asks before taking traffic.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	files, err := migrationFiles()
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
