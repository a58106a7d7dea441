package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/migrations"
)

// withMigrations returns the embedded migrations plus extra files.
func withMigrations(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range extra {
		out[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return out
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestMigrateWithoutTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := ownerDB(t) // migrations run as the schema's owner
	body := "-- shipwatch:no-transaction\n-- CONCURRENTLY refuses to run in a transaction.\n" +
		"CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_test_order_idx ON shipments (order_id);\n" +
		"COMMENT ON INDEX shipments_test_order_idx IS 'a test; with a semicolon';\n"
	if err := store.MigrateFS(ctx, db.DB, withMigrations(t, map[string]string{"9001_concurrent.sql": body})); err != nil {
		t.Fatalf("migrate() error = %v", err)
	}
	var valid bool
	if err := db.Get(&valid, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'shipments_test_order_idx'::regclass`); err != nil {
		t.Fatalf("index not created: %v", err)
	}
	if !valid {
		t.Errorf("shipments_test_order_idx is not valid")
	}
	var sum string
	if err := db.Get(&sum, `SELECT checksum FROM schema_migrations WHERE version = 9001`); err != nil {
		t.Fatalf("migration not recorded: %v", err)
	}
	if sum != sha(body) {
		t.Errorf("recorded checksum = %s, want %s", sum, sha(body))
	}
}

func TestMigrateWithoutTransactionFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := ownerDB(t) // migrations run as the schema's owner
	failing := "-- shipwatch:no-transaction\n" +
		"CREATE TABLE IF NOT EXISTS test_codes (v int);\n" +
		"INSERT INTO test_codes VALUES (1), (1);\n" +
		"CREATE UNIQUE INDEX CONCURRENTLY test_codes_v ON test_codes (v);\n"
	err := store.MigrateFS(ctx, db.DB, withMigrations(t, map[string]string{"9002_codes.sql": failing}))
	if err == nil {
		t.Fatal("migrate() of a failing migration succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"9002_codes.sql", "statement 3 of 3, line 4", "not recorded", "test_codes_v"} {
		if !strings.Contains(msg, want) {
			t.Errorf("migrate() error = %q, want it to mention %q", msg, want)
		}
	}
	var recorded bool
	if err := db.Get(&recorded, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = 9002)`); err != nil {
		t.Fatal(err)
	}
	if recorded {
		t.Errorf("a failed migration was recorded as applied")
	}
	// Fixed, the file runs again from its first statement.
	fixed := "-- shipwatch:no-transaction\n" +
		"DROP INDEX CONCURRENTLY IF EXISTS test_codes_v;\n" +
		"CREATE TABLE IF NOT EXISTS test_codes (v int);\n" +
		"DELETE FROM test_codes;\n" +
		"CREATE UNIQUE INDEX CONCURRENTLY test_codes_v ON test_codes (v);\n"
	if err := store.MigrateFS(ctx, db.DB, withMigrations(t, map[string]string{"9002_codes.sql": fixed})); err != nil {
		t.Fatalf("migrate() of the fixed migration: %v", err)
	}
}

func TestMigrateRefusesEditedMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := ownerDB(t) // migrations run as the schema's owner
	fsys := withMigrations(t, nil)
	fsys["0003_webhooks.sql"].Data = append(fsys["0003_webhooks.sql"].Data, "\n-- edited after it was applied\n"...)
	err := store.MigrateFS(ctx, db.DB, fsys)
	if !errors.Is(err, store.ErrMigrationEdited) {
		t.Fatalf("migrate() with an edited migration: error = %v, want ErrMigrationEdited", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "0003_webhooks.sql") || strings.Contains(msg, "\n") {
		t.Errorf("migrate() error = %q, want one line naming 0003_webhooks.sql", msg)
	}
	// Nothing after the check ran: a pending migration stays pending.
	fsys["9003_later.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE test_later (v int);")}
	if err := store.MigrateFS(ctx, db.DB, fsys); !errors.Is(err, store.ErrMigrationEdited) {
		t.Fatalf("second migrate() error = %v, want ErrMigrationEdited", err)
	}
	var exists bool
	if err := db.Get(&exists, `SELECT to_regclass('test_later') IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("a migration was applied on top of an edited one")
	}
}

func TestMigrateRecordsMissingChecksums(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := ownerDB(t) // migrations run as the schema's owner
	// A database migrated before checksums were kept.
	if _, err := db.Exec(`UPDATE schema_migrations SET checksum = NULL`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db.DB); err != nil {
		t.Fatalf("Migrate() error = %v", err)
	}
	rows := []struct {
		Name     string `db:"name"`
		Checksum string `db:"checksum"`
	}{}
	if err := db.Select(&rows, `SELECT name, coalesce(checksum, '') AS checksum FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no migrations recorded")
	}
	for _, r := range rows {
		b, err := fs.ReadFile(migrations.FS, r.Name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Checksum != sha(string(b)) {
			t.Errorf("checksum of %s = %q, want %s", r.Name, r.Checksum, sha(string(b)))
		}
	}
}

func TestSplitStatements(t *testing.T) {
	body := "-- shipwatch:no-transaction\n" +
		"CREATE INDEX CONCURRENTLY a ON t (x);\n" +
		"/* a; /* nested; */ comment */\n" +
		"COMMENT ON INDEX a IS 'it''s; fine';\n" +
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;\n" +
		"SELECT \"odd;name\" FROM t WHERE x = $1\n" +
		"-- trailing comment; nothing after\n"
	stmts, lines, err := store.SplitStatements(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CREATE INDEX CONCURRENTLY a ON t (x)",
		"COMMENT ON INDEX a IS 'it''s; fine'",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$",
		"SELECT \"odd;name\" FROM t WHERE x = $1\n-- trailing comment; nothing after",
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("splitStatements() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 4, 5, 6}, lines); diff != "" {
		t.Errorf("statement lines mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"SELECT 'open", "SELECT $x$ open", "/* open"} {
		if _, _, err := store.SplitStatements(bad); err == nil {
			t.Errorf("splitStatements(%q) error = nil, want one", bad)
		}
	}
}

// ownerDB opens a fresh database as the schema's owner, as migrations run.
func ownerDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := sqlx.MustOpen("postgres", dbtest.OwnerURL(dbtest.URL(t)))
	t.Cleanup(func() { db.Close() })
	return db
}
