package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestOpenFlagCountsFollowFlags writes flags every way they change
// (raised, resolved, reopened by a new flag, deleted with their seller) and
// checks after each that the maintained counts /metrics reads equal a
// direct count of the open flags.
func TestOpenFlagCountsFollowFlags(t *testing.T) {
	url := dbtest.URL(t)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	su := dbtest.Superuser(t, url)
	ctx := context.Background()
	direct := func() map[string]int {
		rows := []struct {
			Kind string `db:"kind"`
			N    int    `db:"n"`
		}{}
		if err := su.SelectContext(ctx, &rows, `SELECT kind, count(*) AS n FROM flags WHERE resolved_at IS NULL GROUP BY kind`); err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.Kind] = r.N
		}
		return out
	}
	check := func(what string) {
		t.Helper()
		got, err := st.OpenFlagCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := direct(); !maps.Equal(got, want) {
			t.Errorf("%s: OpenFlagCounts() = %v, want %v", what, got, want)
		}
	}
	var sellers []string
	for _, name := range []string{"A", "B"} {
		var id string
		if err := su.GetContext(ctx, &id, `INSERT INTO sellers (name) VALUES ($1) RETURNING id`, name); err != nil {
			t.Fatal(err)
		}
		sellers = append(sellers, id)
		if _, err := su.ExecContext(ctx, `INSERT INTO shipments (seller_id, order_id) SELECT $1, 'O-' || i FROM generate_series(1, 300) AS i`, id); err != nil {
			t.Fatal(err)
		}
	}
	check("no flags")
	for _, seller := range sellers {
		if _, err := db.ExecContext(ctx, `
			INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
			SELECT seller_id, id, CASE WHEN order_id LIKE '%1' THEN 'STALLED' ELSE 'LATE_SHIPMENT' END, 'WARNING', 'm', now()
			FROM shipments WHERE seller_id = $1`, seller); err != nil {
			t.Fatal(err)
		}
	}
	check("600 raised")
	if _, err := db.ExecContext(ctx, `UPDATE flags SET resolved_at = now(), resolution = 'AUTO'
		WHERE kind = 'STALLED' AND seller_id = $1`, sellers[0]); err != nil {
		t.Fatal(err)
	}
	check("one seller's STALLED resolved")
	if _, err := db.ExecContext(ctx, `UPDATE flags SET acknowledged_at = now() WHERE seller_id = $1`, sellers[1]); err != nil {
		t.Fatal(err)
	}
	check("acknowledged (still open)")
	if _, err := db.ExecContext(ctx, `
		INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
		SELECT seller_id, shipment_id, kind, severity, 'again', now() FROM flags
		WHERE kind = 'STALLED' AND seller_id = $1`, sellers[0]); err != nil {
		t.Fatal(err)
	}
	check("raised again")
	if _, err := su.ExecContext(ctx, `DELETE FROM sellers WHERE id = $1`, sellers[1]); err != nil {
		t.Fatal(err)
	}
	check("a seller deleted with its flags")
}
