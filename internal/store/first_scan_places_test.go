package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// FirstScanPlaces reads each shipment's first scan that names a postal
// code by the number the caller gives, from the seller's events only: a
// label and a scan without a postal code are not the place, the earliest
// scan is; another seller's events on the same number are not read.
func TestFirstScanPlaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, st, seller, other := twoSellers(ctx, t)
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	n := 0
	event := func(sellerID, number, status, postal string, hours int) {
		t.Helper()
		n++
		if _, err := db.Exec(`INSERT INTO tracking_events (seller_id, normalized_tracking_number, fingerprint, source, occurred_at, status, postal_code, country)
			VALUES ($1, $2, $3, 'BACK_OFFICE', $4, $5, $6, 'US')`,
			sellerID, number, []byte{byte(n)}, at.Add(time.Duration(hours)*time.Hour), status, postal); err != nil {
			t.Fatal(err)
		}
	}
	event(seller.ID, "1ZA", "LABEL_CREATED", "94105", 0) // a label is not a scan
	event(seller.ID, "1ZA", "IN_TRANSIT", "", 1)         // names no postal code
	event(seller.ID, "1ZA", "IN_TRANSIT", "60601", 3)
	event(seller.ID, "1ZA", "IN_TRANSIT", "10001", 2) // the earliest that names one
	event(other.ID, "1ZB", "IN_TRANSIT", "30301", 1)  // another seller's number
	event(seller.ID, "1ZC", "IN_TRANSIT", "73301", 1)
	ids := []string{"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000c"}
	got, err := st.FirstScanPlaces(ctx, db, seller.ID, ids, []string{"1ZA", "1ZB", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{ids[0]: {"10001", "US"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FirstScanPlaces (-want +got):\n%s", diff)
	}
	if _, err := st.FirstScanPlaces(ctx, db, seller.ID, ids, []string{"1ZA"}); err == nil {
		t.Error("FirstScanPlaces with 3 ids and 1 number = nil error, want one")
	}
}

// twoSellers returns a fresh database, its store and two sellers on it:
// the one a test reads and another whose rows it must not see.
func twoSellers(ctx context.Context, t *testing.T) (*sqlx.DB, *store.Store, store.Seller, store.Seller) {
	t.Helper()
	db := dbtest.DB(t)
	st := store.New(db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.InsertSeller(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	return db, st, seller, other
}
