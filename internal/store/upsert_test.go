package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestUpsertSkipsIdenticalRows: the API's and the import's upserts are one
// statement, and a row written again with the same fields is not rewritten
// by either (same row version, same updated_at), while a changed one is.
func TestUpsertSkipsIdenticalRows(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	shipBy := time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)
	w := func(order, number, service string) store.ShipmentWrite {
		return store.ShipmentWrite{OrderID: order, Carrier: "ups", TrackingNumber: number, NormalizedTrackingNumber: number,
			Service: service, ShipBy: &shipBy, TrackingValid: true, TrackingCarrier: "ups"}
	}
	type version struct {
		XMin      string    `db:"xmin"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	versionOf := func(order string) version {
		t.Helper()
		var v version
		if err := db.GetContext(ctx, &v, `SELECT xmin::text AS xmin, updated_at FROM shipments WHERE seller_id = $1 AND order_id = $2`, seller.ID, order); err != nil {
			t.Fatal(err)
		}
		return v
	}
	upsert := func(ws ...store.ShipmentWrite) []store.Upserted {
		t.Helper()
		var out []store.Upserted
		if err := st.Transact(ctx, func(tx *sqlx.Tx) (err error) {
			out, err = st.UpsertShipments(ctx, tx, seller.ID, ws)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	imported := func(ws ...store.ShipmentWrite) int {
		t.Helper()
		var created int
		if err := st.Transact(ctx, func(tx *sqlx.Tx) (err error) {
			created, err = st.UpsertImportedShipments(ctx, tx, seller.ID, ws)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return created
	}

	first := upsert(w("A-1", "1Z999AA10123456784", "Ground"), w("A-2", "1Z999AA10123456785", "Ground"))
	if !first[0].Created || !first[1].Created {
		t.Fatalf("first write: created = %v, %v; want both", first[0].Created, first[1].Created)
	}
	before := versionOf("A-1")

	// The same fields again, through the API: returned, not created, not rewritten.
	again := upsert(w("A-2", "1Z999AA10123456785", "Ground"), w("A-1", "1Z999AA10123456784", "Ground"))
	if len(again) != 2 || again[0].Shipment.OrderID != "A-2" || again[1].Shipment.OrderID != "A-1" {
		t.Fatalf("identical write returned %+v; want A-2 then A-1, in the order of writes", again)
	}
	if again[0].Created || again[1].Created {
		t.Error("identical write reported a creation")
	}
	if again[1].Shipment.ID != first[0].Shipment.ID {
		t.Errorf("identical write returned shipment %s, want %s", again[1].Shipment.ID, first[0].Shipment.ID)
	}
	if got := versionOf("A-1"); got != before {
		t.Errorf("identical API write rewrote the row: %+v, was %+v", got, before)
	}

	// The same fields again, through the import: nothing created, nothing rewritten.
	if n := imported(w("A-1", "1Z999AA10123456784", "Ground")); n != 0 {
		t.Errorf("identical import created %d", n)
	}
	if got := versionOf("A-1"); got != before {
		t.Errorf("identical import rewrote the row: %+v, was %+v", got, before)
	}

	// A changed field, through either, is written; a new identity is created.
	changed := upsert(w("A-1", "1Z999AA10123456784", "Next Day Air"), w("A-3", "1Z999AA10123456786", "Ground"))
	if changed[0].Created || changed[0].Shipment.Service != "Next Day Air" || !changed[1].Created {
		t.Errorf("changed write = %+v", changed)
	}
	if got := versionOf("A-1"); got.XMin == before.XMin {
		t.Error("a changed field was not written")
	}
	if n := imported(w("A-2", "1Z999AA10123456785", "Express"), w("A-4", "1Z999AA10123456787", "Ground")); n != 1 {
		t.Errorf("import of one changed and one new created %d, want 1", n)
	}
	var service string
	if err := db.GetContext(ctx, &service, `SELECT service FROM shipments WHERE seller_id = $1 AND order_id = 'A-2'`, seller.ID); err != nil || service != "Express" {
		t.Errorf("import's change: service = %q, %v", service, err)
	}
}
