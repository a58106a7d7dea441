// Package dbtest gives each test a fresh PostgreSQL database, cloned from a
// template that holds every migration, and drops it when the test ends.
// Tests can run in parallel; nothing here mocks the database.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/migrations"
)

// EnvURL names the variable that points tests at a PostgreSQL server; its
// database part is ignored.
const EnvURL = "SHIPWATCH_TEST_DATABASE_URL"

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const howToStart = `PostgreSQL is not answering at %s: %v
Start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start
(or point ` + EnvURL + ` at a server where user may CREATE DATABASE)`

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// serverURL returns the URL of the test server's maintenance database.
func serverURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return defaultURL
}

// URL creates a fresh migrated database for t and returns its URL, which
// connects as store.AppRole, the role the server serves as. The database is
// dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("postgres", serverURL())
	if err != nil {
		t.Fatalf(howToStart, serverURL(), err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf(howToStart, serverURL(), err)
	}
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, admin) })
	if templateErr != nil {
		t.Fatalf("prepare template database: %v", templateErr)
	}
	name := "shipwatch_test_" + randomSuffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", serverURL())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return store.AppURL(withDatabase(serverURL(), name), "")
}

// SuperuserURL returns the URL of the superuser on the database of url
// (as URL returns it): what tests use to play an attacker with full access
// to the database, or to set up what the app role may not.
func SuperuserURL(url string) string { return withDatabase(serverURL(), databaseOf(url)) }

// OwnerURL returns a URL acting as the schema's owner on the database of
// url: what `shipwatch migrate` would be given.
func OwnerURL(url string) string { return store.OwnerURL(SuperuserURL(url)) }

// Superuser opens the database of url as the superuser, closed when t ends.
func Superuser(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", SuperuserURL(url))
	if err != nil {
		t.Fatalf("open test database as superuser: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func databaseOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// DB opens a fresh migrated database for t as the app role, closed and
// dropped when t ends.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", URL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ensureTemplate makes sure a template database with the current
// migrations exists. Its name carries a digest of the migrations, so a
// changed migration gets a new template; test binaries of several packages
// building it at once are serialised by an advisory lock.
func ensureTemplate(ctx context.Context, admin *sql.DB) (string, error) {
	name, err := templateFor()
	if err != nil {
		return "", err
	}
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7415)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7415)`) //nolint:errcheck // released with the session
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", err
	}
	// The roles the server sets up from a superuser URL: objects owned by
	// store.OwnerRole, tests served as store.AppRole.
	migrateCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := store.Prepare(migrateCtx, store.Roles{DatabaseURL: withDatabase(serverURL(), name),
		AppPassword: func() (string, error) { return "", nil }}); err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

// templateFor names the template after a digest of the migrations.
func templateFor() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("digest migrations: %w", err)
	}
	return "shipwatch_template_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}
