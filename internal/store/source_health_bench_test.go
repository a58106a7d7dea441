package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// BenchmarkRecordSourceOutcome times the statement each processed batch
// of webhook deliveries runs after its commit: a webhook source's outcome
// also counts its deliveries per hour (the silence check's input), and per
// hour and carrier when the batch names carriers (the carrier check's); a
// carrier account's does not, and is the baseline in the same run.
func BenchmarkRecordSourceOutcome(b *testing.B) {
	ctx := context.Background()
	url := dbtest.URL(b)
	db := sqlx.MustOpen("postgres", url)
	b.Cleanup(func() { db.Close() })
	st := store.New(db)
	su := dbtest.Superuser(b, url)
	var seller, src string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Bench') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	if err := su.GetContext(ctx, &src, `INSERT INTO tracking_sources (seller_id, provider, secret_sealed, key_id)
		VALUES ($1, 'EASYPOST', decode(repeat('01', 40), 'hex'), 'bench') RETURNING id`, seller); err != nil {
		b.Fatal(err)
	}
	account := "00000000-0000-4000-8000-000000000001"
	at := time.Date(2026, time.March, 10, 14, 0, 0, 0, time.UTC)
	three := []source.CarrierCount{{Carrier: "FEDEX", Deliveries: 2}, {Carrier: "UPS", Deliveries: 3}, {Carrier: "USPS", Deliveries: 3}}
	for _, tc := range []struct {
		name, id string
		kind     source.Kind
		carriers []source.CarrierCount
	}{{"carrier account (baseline)", account, source.CarrierAccount, nil}, {"webhook (counts the hour)", src, source.Webhook, nil},
		{"webhook (counts the hour and three carriers)", src, source.Webhook, three}} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				// A batch a second: a new hour every 3,600 batches.
				o := source.Outcome{SellerID: seller, SourceID: tc.id, Kind: tc.kind, At: at.Add(time.Duration(i) * time.Second), OK: 8,
					Carriers: tc.carriers}
				if err := st.RecordSourceOutcome(ctx, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
