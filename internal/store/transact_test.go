package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

func TestTransact(t *testing.T) {
	db := dbtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	sellers := func() []string {
		t.Helper()
		var names []string
		if err := db.SelectContext(ctx, &names, `SELECT name FROM sellers ORDER BY name`); err != nil {
			t.Fatal(err)
		}
		return names
	}
	insert := func(tx *sqlx.Tx, name string) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sellers (name) VALUES ($1)`, name); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a panic rolls back and goes on", func(t *testing.T) {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Transact swallowed the panic")
				}
			}()
			st.Transact(ctx, func(tx *sqlx.Tx) error { //nolint:errcheck // it panics
				insert(tx, "panicked")
				panic("boom")
			})
		}()
		if got := sellers(); len(got) != 0 {
			t.Errorf("sellers after the panic = %v, want none", got)
		}
		// The connection went back to the pool usable.
		if err := st.Transact(ctx, func(tx *sqlx.Tx) error { insert(tx, "after"); return nil }); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a serialization failure runs again", func(t *testing.T) {
		calls := 0
		err := st.Transact(ctx, func(tx *sqlx.Tx) error {
			calls++
			if calls == 1 {
				insert(tx, "first try")
				return &pq.Error{Code: "40001", Message: "could not serialize access"}
			}
			insert(tx, "second try")
			return nil
		})
		if err != nil || calls != 2 {
			t.Fatalf("Transact() = %v after %d calls, want nil after 2", err, calls)
		}
		for _, name := range sellers() {
			if name == "first try" {
				t.Error("the failed attempt's write was kept")
			}
		}
	})

	t.Run("what runs on commit runs once, after the attempt that commits", func(t *testing.T) {
		calls, counted := 0, 0
		err := st.Transact(ctx, func(tx *sqlx.Tx) error {
			calls++
			st.OnCommit(tx, func() { counted++ })
			if counted != 0 {
				t.Errorf("OnCommit ran before the commit (attempt %d)", calls)
			}
			if calls == 1 {
				return &pq.Error{Code: "40P01", Message: "deadlock detected"}
			}
			return nil
		})
		if err != nil || calls != 2 || counted != 1 {
			t.Errorf("Transact() = %v after %d calls, counted %d times, want nil after 2 calls, counted once", err, calls, counted)
		}
		err = st.Transact(ctx, func(tx *sqlx.Tx) error {
			st.OnCommit(tx, func() { counted++ })
			return errors.New("bad input")
		})
		if err == nil || counted != 1 {
			t.Errorf("after a rollback Transact() = %v, counted %d times, want an error and still once", err, counted)
		}
	})

	t.Run("a deadlock gives up after three attempts", func(t *testing.T) {
		calls := 0
		err := st.Transact(ctx, func(tx *sqlx.Tx) error {
			calls++
			return &pq.Error{Code: "40P01", Message: "deadlock detected"}
		})
		if !store.Retryable(err) || calls != 3 {
			t.Errorf("Transact() = %v after %d calls, want the deadlock after 3", err, calls)
		}
	})

	t.Run("other errors run once", func(t *testing.T) {
		calls := 0
		want := errors.New("bad input")
		err := st.Transact(ctx, func(tx *sqlx.Tx) error { calls++; return want })
		if !errors.Is(err, want) || calls != 1 {
			t.Errorf("Transact() = %v after %d calls, want %v after 1", err, calls, want)
		}
	})
}
