package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// BenchmarkSellerChangesWriteCost prints what migration 0140's triggers
// (the notes of each seller's writes for the outlook job) cost writers: the
// same writes on a database with them and on one without (its triggers
// dropped), taking turns: new shipments upserted in 1000-row statements,
// then single-row updates, each its own transaction (as a carrier event
// refreshing one shipment).
//
//	go test -run '^$' -bench BenchmarkSellerChangesWriteCost -benchtime 1x ./internal/store/
func BenchmarkSellerChangesWriteCost(b *testing.B) {
	writeCost(b, "seller changes", "the 0140 triggers", `
		DROP TRIGGER shipments_changes_insert ON shipments;
		DROP TRIGGER shipments_changes_update ON shipments;
		DROP TRIGGER shipments_changes_delete ON shipments`)
}

// BenchmarkChangeXidWriteCost is the same for what the forecast's kept
// reads add to a shipment's write (migrations 0260 and 0261): the
// change_xid column's default and trigger, and its index.
//
//	go test -run '^$' -bench BenchmarkChangeXidWriteCost -benchtime 1x ./internal/store/
func BenchmarkChangeXidWriteCost(b *testing.B) {
	writeCost(b, "change xid", "change_xid", `
		DROP TRIGGER shipments_change_xid ON shipments;
		DROP INDEX shipments_change_xid_idx;
		ALTER TABLE shipments ALTER COLUMN change_xid DROP DEFAULT`)
}

// writeCost times the same writes on a database as migrated and on one
// where drop undid what is measured (what), taking turns, and prints them
// under name.
func writeCost(b *testing.B, name, what, drop string) {
	const n, single = 50_000, 5_000
	ctx := context.Background()
	withDB := dbtest.DB(b)
	url := dbtest.URL(b)
	withoutDB := sqlx.MustOpen("postgres", url)
	b.Cleanup(func() { withoutDB.Close() })
	if _, err := dbtest.Superuser(b, url).ExecContext(ctx, drop); err != nil {
		b.Fatal(err)
	}
	with, without := store.New(withDB), store.New(withoutDB)
	both := []*store.Store{with, without}
	dbOf := map[*store.Store]*sqlx.DB{with: withDB, without: withoutDB}
	for b.Loop() {
		ids := map[*store.Store]string{}
		for _, st := range both {
			s, err := st.InsertSeller(ctx, "W")
			if err != nil {
				b.Fatal(err)
			}
			ids[st] = s.ID
		}
		base := time.Now().Add(-20 * 24 * time.Hour)
		ws := make([]store.ShipmentWrite, n)
		for i := range ws {
			at := base.Add(time.Duration(i) * 15 * time.Second)
			number := fmt.Sprintf("1ZW%07d", i)
			ws[i] = store.ShipmentWrite{OrderID: fmt.Sprintf("W-%d", i), Carrier: "ups", TrackingNumber: number,
				NormalizedTrackingNumber: number, ShippedAt: &at, TrackingValid: true, TrackingCarrier: "ups"}
		}
		spent := map[*store.Store]time.Duration{}
		for i := 0; i < n; i += 1000 {
			for k := range both {
				st := both[(i/1000+k)%2]
				start := time.Now()
				err := st.Transact(ctx, func(tx *sqlx.Tx) error {
					_, err := st.UpsertShipments(ctx, tx, ids[st], ws[i:i+1000])
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				spent[st] += time.Since(start)
			}
		}
		w, wo := spent[with].Seconds(), spent[without].Seconds()
		fmt.Printf("%s write cost: upsert %d new shipments in 1000-row statements: %.2f s with %s, %.2f s without (%+.0f%%)\n", name, n, w, what, wo, 100*(w/wo-1))

		rows := map[*store.Store][]string{}
		for _, st := range both {
			var list []string
			if err := dbOf[st].SelectContext(ctx, &list, `SELECT id FROM shipments WHERE seller_id = $1 ORDER BY id LIMIT $2`, ids[st], single); err != nil {
				b.Fatal(err)
			}
			rows[st] = list
		}
		spent = map[*store.Store]time.Duration{}
		for i := 0; i < single; i++ {
			for k := range both {
				st := both[(i+k)%2]
				start := time.Now()
				if _, err := dbOf[st].ExecContext(ctx, `UPDATE shipments SET last_event_at = now() WHERE seller_id = $1 AND id = $2`, ids[st], rows[st][i]); err != nil {
					b.Fatal(err)
				}
				spent[st] += time.Since(start)
			}
		}
		w, wo = spent[with].Seconds()*1000/single, spent[without].Seconds()*1000/single
		fmt.Printf("%s write cost: %d single-row updates, each its own transaction: %.3f ms each with %s, %.3f ms without (%+.0f%%)\n", name, single, w, what, wo, 100*(w/wo-1))
	}
}
