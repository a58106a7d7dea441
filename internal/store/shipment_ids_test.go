package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestShipmentIDsAreTimeOrdered: a new shipment's id is a version 7 UUID
// whose first 48 bits are its creation in Unix milliseconds (migration
// 0160), so shipments written later sort after those written before: the
// indexes keyed on the id grow at their end.
func TestShipmentIDsAreTimeOrdered(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for batch := 0; batch < 3; batch++ {
		ws := make([]store.ShipmentWrite, 100)
		for i := range ws {
			n := fmt.Sprintf("1Z%03d%05d", batch, i)
			ws[i] = store.ShipmentWrite{OrderID: "A-" + n, Carrier: "ups", TrackingNumber: n, NormalizedTrackingNumber: n}
		}
		before := time.Now().Add(-time.Second) // the database's clock may trail ours a little
		var out []store.Upserted
		if err := st.Transact(ctx, func(tx *sqlx.Tx) (err error) {
			out, err = st.UpsertShipments(ctx, tx, seller.ID, ws)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		after := time.Now().Add(time.Second)
		for _, u := range out {
			id := u.Shipment.ID
			if id[14] != '7' {
				t.Errorf("shipment id %s has version %c, want 7", id, id[14])
			}
			var ms int64
			if _, err := fmt.Sscanf(id[0:8]+id[9:13], "%x", &ms); err != nil {
				t.Fatalf("shipment id %s: %v", id, err)
			}
			if at := time.UnixMilli(ms); at.Before(before) || at.After(after) {
				t.Errorf("shipment id %s carries %s, want between %s and %s", id, at, before, after)
			}
		}
		// The text of a UUID sorts as the UUID does.
		first, last := out[0].Shipment.ID, out[0].Shipment.ID
		for _, u := range out {
			first, last = min(first, u.Shipment.ID), max(last, u.Shipment.ID)
		}
		if len(ids) > 0 && first <= ids[len(ids)-1] {
			t.Errorf("batch %d's first id %s sorts before the previous batch's last %s", batch, first, ids[len(ids)-1])
		}
		ids = append(ids, last)
		time.Sleep(2 * time.Millisecond) // ids of one millisecond are in random order
	}
}

// TestFlagIDsAreTimeOrdered: a new flag's id is a version 7 UUID too
// (migration 0190), so flags raised later sort after those before.
func TestFlagIDsAreTimeOrdered(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	ctx := context.Background()
	st := store.New(db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for round := 0; round < 2; round++ {
		var ids []string
		if err := db.SelectContext(ctx, &ids, `
			WITH s AS (
				INSERT INTO shipments (seller_id, order_id) SELECT $1, 'O-' || $2 || '-' || i FROM generate_series(1, 50) AS i
				RETURNING seller_id, id)
			INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
			SELECT seller_id, id, 'STALLED', 'WARNING', 'm', now() FROM s
			RETURNING id`, seller.ID, round); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if id[14] != '7' {
				t.Fatalf("flag id %s has version %c, want 7", id, id[14])
			}
			if id <= last {
				t.Errorf("flag id %s of round %d sorts before %s of the round before", id, round, last)
			}
		}
		last = slices.Max(ids)
		time.Sleep(5 * time.Millisecond) // the next round's milliseconds
	}
}
