package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// BenchmarkOpenFlagCounts times what /metrics reads for its open-flag
// gauge at SHIPMENTS shipments (default 1,000,000) with 9% of them flagged
// (about what the first sweep after such a load raises): the maintained
// counts, and as the baseline, the direct count it replaced, in the same
// run. `make bench-metrics`.
func BenchmarkOpenFlagCounts(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SHIPMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("SHIPMENTS=%q: want a positive number", v)
		}
	}
	url := dbtest.URL(b)
	db := sqlx.MustOpen("postgres", url)
	b.Cleanup(func() { db.Close() })
	st := store.New(db)
	su := dbtest.Superuser(b, url)
	ctx := context.Background()
	var seller string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Bench') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	if _, err := su.ExecContext(ctx, `INSERT INTO shipments (seller_id, order_id) SELECT $1, 'O-' || i FROM generate_series(1, $2::int) AS i`, seller, n); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
		SELECT seller_id, id, (ARRAY['INACTIVE_TRACKING','STALLED','LATE_SHIPMENT','LATE_DELIVERY'])[1 + abs(hashtext(order_id)) % 4],
			'WARNING', 'm', now()
		FROM shipments WHERE abs(hashtext(order_id)) % 100 < 9`); err != nil {
		b.Fatal(err)
	}
	if _, err := su.ExecContext(ctx, `VACUUM ANALYZE flags`); err != nil {
		b.Fatal(err)
	}
	var open int
	if err := su.GetContext(ctx, &open, `SELECT count(*) FROM flags WHERE resolved_at IS NULL`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d shipments, %d open flags", n, open)
	b.Run("maintained", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.OpenFlagCounts(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=direct-count", func(b *testing.B) {
		for b.Loop() {
			var rows []struct {
				Kind string `db:"kind"`
				N    int    `db:"n"`
			}
			if err := db.SelectContext(ctx, &rows, `SELECT kind, count(*) AS n FROM flags WHERE resolved_at IS NULL GROUP BY kind`); err != nil {
				b.Fatal(err)
			}
		}
	})
}
