package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestFlagSellers checks what replaced the seller foreign key of every flag
// (migration 0150): an account flag must name an existing seller in
// account_seller_id, a shipment flag must not, and deleting a seller
// still deletes its account flags and its shipment flags.
func TestFlagSellers(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	ctx := context.Background()
	var seller, other, shipment string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('A') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &other, `INSERT INTO sellers (name) VALUES ('B') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &shipment, `INSERT INTO shipments (seller_id, order_id) VALUES ($1, 'O-1') RETURNING id`, seller); err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		what, sql, code string
		args            []any
	}{
		{"an account flag without account_seller_id", `INSERT INTO flags (seller_id, subject, kind, severity, message, raised_at)
			VALUES ($1, 'AMAZON/VALID_TRACKING_RATE/7', 'PROJECTED_MISS', 'WARNING', 'm', now())`, "23514", []any{seller}},
		{"an account flag naming another seller", `INSERT INTO flags (seller_id, account_seller_id, subject, kind, severity, message, raised_at)
			VALUES ($1, $2, 'AMAZON/VALID_TRACKING_RATE/7', 'PROJECTED_MISS', 'WARNING', 'm', now())`, "23514", []any{seller, other}},
		{"a shipment flag with account_seller_id", `INSERT INTO flags (seller_id, account_seller_id, shipment_id, kind, severity, message, raised_at)
			VALUES ($1, $1, $2, 'STALLED', 'WARNING', 'm', now())`, "23514", []any{seller, shipment}},
		{"an account flag of no seller", `INSERT INTO flags (seller_id, account_seller_id, subject, kind, severity, message, raised_at)
			VALUES ($1, $1, 'AMAZON/VALID_TRACKING_RATE/7', 'PROJECTED_MISS', 'WARNING', 'm', now())`, "23503", []any{"00000000-0000-4000-8000-000000000000"}},
		{"a shipment flag of another seller's shipment", `INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
			VALUES ($1, $2, 'STALLED', 'WARNING', 'm', now())`, "23503", []any{other, shipment}},
	}
	for _, r := range refused {
		_, err := su.ExecContext(ctx, r.sql, r.args...)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || string(pqErr.Code) != r.code {
			t.Errorf("%s: error %v, want SQLSTATE %s", r.what, err, r.code)
		}
	}

	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	raised, err := st.RaiseAccountFlags(ctx, tx, seller, flag.ProjectedMiss, flag.Warning,
		[]store.AccountFlag{{Subject: "AMAZON/VALID_TRACKING_RATE/7", Message: "m"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(raised) != 1 {
		t.Fatalf("RaiseAccountFlags raised %d flags, want 1", len(raised))
	}
	if _, err := su.ExecContext(ctx, `INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
		VALUES ($1, $2, 'STALLED', 'WARNING', 'm', now())`, seller, shipment); err != nil {
		t.Fatalf("a shipment flag: %v", err)
	}
	if _, err := su.ExecContext(ctx, `DELETE FROM sellers WHERE id = $1`, seller); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := su.GetContext(ctx, &left, `SELECT count(*) FROM flags WHERE seller_id = $1`, seller); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("after deleting the seller, %d of its flags are left, want 0", left)
	}
}
