package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/store"
)

// ShipmentsChanged returns the seller's shipments inserted or updated
// since a mark, with whether each is open, including a write that was in
// progress when the mark was read and committed after it; nothing of
// another seller; and ok false after a deletion, a dispute or a change of
// settings, which the shipments' change marks cannot show.
func TestShipmentsChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, st, seller, other := twoSellers(ctx, t)
	now := time.Now().UTC().Truncate(time.Second)
	since := now.AddDate(0, 0, -120)
	ids := map[string]string{}
	insert := func(sellerID, order string, delivered bool) {
		t.Helper()
		var at *time.Time
		if delivered {
			at = &now
		}
		var id string
		if err := db.Get(&id, `INSERT INTO shipments (seller_id, order_id, carrier, status, tracking_number,
				normalized_tracking_number, tracking_valid, deliver_by, delivered_at)
			VALUES ($1, $2, 'ups', 'PENDING', $2, $2, true, $3, $4) RETURNING id`,
			sellerID, order, now.AddDate(0, 0, 2), at); err != nil {
			t.Fatal(err)
		}
		ids[order] = id
	}
	insert(seller.ID, "A1", false)
	insert(seller.ID, "A2", false)
	insert(seller.ID, "A3", true)
	insert(other.ID, "B1", false)
	open, m, err := st.OpenShipmentsMarked(ctx, seller.ID, since, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 {
		t.Fatalf("OpenShipmentsMarked = %d shipments, want 2 (A1, A2)", len(open))
	}
	changed := func(step string, m store.Mark, wantOK bool, want map[string]bool) store.Mark {
		t.Helper()
		shs, isOpen, next, ok, err := st.ShipmentsChanged(ctx, seller.ID, m, since, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok != wantOK {
			t.Fatalf("%s: ShipmentsChanged ok = %v, want %v", step, ok, wantOK)
		}
		got := map[string]bool{}
		for i, sh := range shs {
			for order, id := range ids {
				if id == sh.ID {
					got[order] = isOpen[i]
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: ShipmentsChanged (order: open) (-want +got):\n%s", step, diff)
		}
		return next
	}
	m = changed("nothing written", m, true, map[string]bool{})
	// A write in progress when the next mark is read, committed after.
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE shipments SET service = 'ground' WHERE id = $1`, ids["A1"]); err != nil {
		t.Fatal(err)
	}
	// Another transaction ending after it began, so that the next
	// snapshot is taken anew and lists it as in progress.
	if _, err := db.Exec(`UPDATE shipments SET service = 'air' WHERE id = $1`, ids["B1"]); err != nil {
		t.Fatal(err)
	}
	m2 := changed("a write not committed", m, true, map[string]bool{})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	insert(seller.ID, "A4", false)
	if _, err := db.Exec(`UPDATE shipments SET cancelled_at = now() WHERE id = $1`, ids["A2"]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE shipments SET service = 'ground' WHERE id = $1`, ids["B1"]); err != nil {
		t.Fatal(err)
	}
	m3 := changed("writes since", m2, true, map[string]bool{"A1": true, "A2": false, "A4": true})
	m3 = changed("nothing since", m3, true, map[string]bool{})
	for _, w := range []struct{ name, sql, arg string }{
		{"a deletion", `DELETE FROM shipments WHERE id = $1`, ids["A3"]},
		{"a dispute", `INSERT INTO disputes (seller_id, shipment_id, kind, opened_at) SELECT seller_id, id, 'NOT_RECEIVED', now() FROM shipments WHERE id = $1`, ids["A1"]},
		{"a setting", `UPDATE sellers SET time_zone = 'Asia/Kolkata' WHERE id = $1`, seller.ID},
	} {
		if _, err := db.Exec(w.sql, w.arg); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		changed(w.name, m3, false, map[string]bool{})
		_, _, m3, _, err = st.ShipmentsChanged(ctx, seller.ID, m3, since, now)
		if err != nil {
			t.Fatal(err)
		}
		// Another seller's write of the same kind changes nothing here.
		if _, err := db.Exec(`UPDATE sellers SET time_zone = 'Asia/Kolkata' WHERE id = $1`, other.ID); err != nil {
			t.Fatal(err)
		}
		changed(w.name+", then another seller's", m3, true, map[string]bool{})
	}
}

// ShipmentsChanged reads the seller's writes since a snapshot through
// shipments_change_xid_idx whatever the statistics: a table never
// analysed, 60,000 rows of the seller.
func TestShipmentsChangedPlan(t *testing.T) {
	su, seller := planDB(t, "shipments", "Planner")
	ctx := context.Background()
	loadPlanShipments(t, su, seller, 1, 60000)
	st := store.New(su)
	_, m, err := st.OpenShipmentsMarked(ctx, seller, time.Now().AddDate(0, 0, -120), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	scans := planScans(t, su, store.ShipmentsChangedSQL, seller, time.Now().AddDate(0, 0, -120), time.Now(), store.MarkSnapshot(m))
	if len(scans) != 1 || !slices.Contains([]string{"Index Scan shipments_change_xid_idx", "Bitmap Heap Scan shipments_change_xid_idx"}, withoutAlias(scans[0])) {
		t.Errorf("ShipmentsChanged reads shipments with %v, want shipments_change_xid_idx alone", scans)
	}
}
