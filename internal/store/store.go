// Package store holds all of Shipwatch's SQL. One file per table or
// aggregate; every method on tenant data takes the seller's id and filters
// on it in SQL. Errors are wrapped with what was being done; a missing row is
// ErrNotFound and a unique violation is ErrConflict.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ErrNotFound is returned when a row does not exist or belongs to another
// seller: callers cannot tell the two apart, by design.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

// Store runs Shipwatch's queries on one PostgreSQL pool.
type Store struct {
	db *sqlx.DB
}

// New returns a Store over an open pool.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// Conn is one connection taken from the pool for a session: a
// session-level advisory lock, and the transactions run under it. Close
// gives it back.
type Conn struct {
	c   *sqlx.Conn
	bad bool // its session state is unknown: discard, do not reuse
}

// Conn takes a connection from the pool.
func (s *Store) Conn(ctx context.Context) (*Conn, error) {
	c, err := s.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("take a connection: %w", err)
	}
	return &Conn{c: c}, nil
}

// Transact runs fn in a transaction on the connection, as Store.Transact
// does on the pool.
func (c *Conn) Transact(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return transact(ctx, c.c, fn)
}

// Close gives the connection back to the pool, or closes it when its
// session may still hold a lock.
func (c *Conn) Close() error {
	if c.bad {
		c.c.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // the point is the error
	}
	return c.c.Close()
}

// Open connects to the database named in dsn, creating the database first
// when it does not exist, and checks that it answers.
func Open(ctx context.Context, dsn string) (*sqlx.DB, error) {
	if err := ensureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	return Connect(ctx, dsn)
}

// Connect opens a pool on the existing database named in dsn and checks
// that it answers.
func Connect(ctx context.Context, dsn string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// ensureDatabase creates the database named in dsn when it is missing, by
// connecting to the server's maintenance database.
func ensureDatabase(ctx context.Context, dsn string) error {
	name, adminDSN, err := maintenanceDSN(dsn)
	if err != nil {
		return err
	}
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return fmt.Errorf("open maintenance database: %w", err)
	}
	defer admin.Close()
	var exists bool
	err = admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("connect to database server: %w", err)
	}
	if exists {
		return nil
	}
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// maintenanceDSN returns the database name of dsn and a DSN for the same
// server's "postgres" database.
func maintenanceDSN(dsn string) (name, admin string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	name = strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", "", fmt.Errorf("DATABASE_URL names no database")
	}
	u.Path = "/postgres"
	return name, u.String(), nil
}

// transactAttempts bounds how often Transact runs a transaction that
// failed on a serialization failure or a deadlock.
const transactAttempts = 3

// Transact runs fn in a transaction, committing when it returns nil and
// rolling back when it returns an error or panics (the panic goes on).
// When the transaction fails with a serialization failure or a deadlock
// (SQLSTATE 40001, 40P01), which PostgreSQL reports for work that can
// simply run again, it runs fn again in a new transaction, at most
// transactAttempts times in all: fn must keep its effects to the
// transaction (or reset them when it starts). The lock order
// (docs/locking.md) is what keeps deadlocks away; this only keeps a
// rare one from failing a request.
func (s *Store) Transact(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return transact(ctx, s.db, fn)
}

// beginner is the pool or one of its connections.
type beginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

func transact(ctx context.Context, db beginner, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := transactOnce(ctx, db, fn)
		if err == nil || attempt == transactAttempts || !Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
		}
	}
}

// afterCommit holds, for each transaction transact is running, what to do
// once it commits (OnCommit). Keyed by the transaction, so that any code
// handed a transaction can register without the caller's help.
var afterCommit sync.Map // *sqlx.Tx -> *commitHooks

type commitHooks struct {
	mu  sync.Mutex
	fns []func()
}

// OnCommit arranges for fn to run once tx has committed, when tx is a
// transaction Transact runs: what counts the effects of a transaction
// (metrics) then counts them once, however often a serialization failure
// or a deadlock made Transact run fn again, and not at all when the
// transaction rolled back. For a transaction begun elsewhere, whose commit
// the store does not see, fn runs at once.
func (s *Store) OnCommit(tx *sqlx.Tx, fn func()) {
	v, ok := afterCommit.Load(tx)
	if !ok {
		fn()
		return
	}
	h := v.(*commitHooks)
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
}

func transactOnce(ctx context.Context, db beginner, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	hooks := &commitHooks{}
	afterCommit.Store(tx, hooks)
	defer afterCommit.Delete(tx)
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback() //nolint:errcheck // the panic is what matters
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	afterCommit.Delete(tx)
	for _, f := range hooks.fns {
		f()
	}
	return nil
}

// Retryable reports whether err is a serialization failure or a deadlock:
// the transaction that met it can run again.
func Retryable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "40001" || pqErr.Code == "40P01")
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pqErr.Constraint)
		case "22P02": // invalid text representation: a malformed uuid is an unknown id
			return ErrNotFound
		}
	}
	return err
}
