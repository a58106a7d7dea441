package health_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
)

// BenchmarkStandards times the published standards (direct counts by each
// marketplace's keying date, no rollup) for a seller with SHIPMENTS
// (1,000,000) shipments in the last 30 days, against the 30-day report
// (rollup) in the same run.
func BenchmarkStandards(b *testing.B) {
	ctx := context.Background()
	_, hs, seller, n := benchSeller(b, loadBenchShipments)
	report, err := median(5, func() error { _, err := hs.Report(ctx, seller.ID, health.Amazon, 30, time.Time{}); return err })
	if err != nil {
		b.Fatal(err)
	}
	line := fmt.Sprintf("standards: %d shipments; baseline in the same run: the 30-day Amazon report (rollup) %s", n, ms(report))
	for _, m := range []health.Marketplace{health.Amazon, health.Walmart, health.EBay} {
		d, err := median(3, func() error { _, err := hs.Standards(ctx, seller.ID, m, time.Time{}); return err })
		if err != nil {
			b.Fatal(err)
		}
		line += fmt.Sprintf("; %s standards %s", m, ms(d))
	}
	fmt.Println(line)
	b.ResetTimer()
	for b.Loop() {
		if _, err := hs.Standards(ctx, seller.ID, health.Amazon, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSeller opens a fresh database, creates one seller, writes its
// shipments with load (SHIPMENTS=N, default benchShipments) and analyses
// them: the setup every benchmark of a seller's health shares. It returns
// how many shipments it wrote.
func benchSeller(b *testing.B, load func(ctx context.Context, db *sqlx.DB, sellerID string, n int) error) (*sqlx.DB, *health.Service, store.Seller, int) {
	b.Helper()
	n := benchShipments
	if v, err := strconv.Atoi(os.Getenv("SHIPMENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db, err := sqlx.Open("postgres", dbtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	st := store.New(db)
	seller, err := st.InsertSeller(ctx, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := load(ctx, db, seller.ID, n); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE shipments`); err != nil {
		b.Fatal(err)
	}
	return db, health.New(st), seller, n
}
