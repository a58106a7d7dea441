package store_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestShipmentParts checks that the parts cover every id once, in order.
func TestShipmentParts(t *testing.T) {
	t.Parallel()
	if got, want := store.ShipmentParts(1), []store.ShipmentPart{{}}; !cmp.Equal(got, want) {
		t.Errorf("ShipmentParts(1) = %v, want %v", got, want)
	}
	want := []store.ShipmentPart{
		{To: "80000000-0000-0000-0000-000000000000"},
		{From: "80000000-0000-0000-0000-000000000000"},
	}
	if got := store.ShipmentParts(2); !cmp.Equal(got, want) {
		t.Errorf("ShipmentParts(2) = %v, want %v", got, want)
	}
	parts := store.ShipmentParts(3)
	if parts[0].From != "" || parts[2].To != "" || parts[0].To != parts[1].From || parts[1].To != parts[2].From || !(parts[1].From < parts[2].From) {
		t.Errorf("ShipmentParts(3) = %v, want contiguous ranges from the first id to the last", parts)
	}
}

// TestLockFlagChangesByParts checks what the sweep's two parts rely on:
// LockFlagChanges of each part, run in two transactions at once (the first
// still holding its locks), finds and locks exactly the changes of the
// whole seller between them, each once, and neither waits on the other.
func TestLockFlagChangesByParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	var seller string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Parts') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	loadPlanShipments(t, su, seller, 1, 600)
	now := time.Now()
	parts := store.ShipmentParts(2)
	changes := 0
	for _, r := range flag.Rules {
		if !r.TimeBased || r.Custom != "" {
			continue
		}
		lock := func(tx *sqlx.Tx, part store.ShipmentPart) []string {
			t.Helper()
			ids, err := st.LockFlagChanges(ctx, tx, r, seller, now, part)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		tx0 := db.MustBeginTx(ctx, nil)
		whole := lock(tx0, store.ShipmentPart{})
		if err := tx0.Rollback(); err != nil {
			t.Fatal(err)
		}
		tx1, tx2 := db.MustBeginTx(ctx, nil), db.MustBeginTx(ctx, nil)
		// A statement that waited on the other part's locks would hang
		// here; the timeout makes it fail instead.
		for _, tx := range []*sqlx.Tx{tx1, tx2} {
			tx.MustExec(`SET LOCAL lock_timeout = '5s'`)
		}
		first, second := lock(tx1, parts[0]), lock(tx2, parts[1])
		for _, tx := range []*sqlx.Tx{tx1, tx2} {
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range first {
			if id >= parts[0].To {
				t.Errorf("%s: the first part locked %s, beyond its end %s", r.Kind, id, parts[0].To)
			}
		}
		for _, id := range second {
			if id < parts[1].From {
				t.Errorf("%s: the second part locked %s, before its start %s", r.Kind, id, parts[1].From)
			}
		}
		both := append(append([]string{}, first...), second...)
		sort.Strings(both)
		if diff := cmp.Diff(whole, both); diff != "" {
			t.Errorf("%s: the parts' changes differ from the whole seller's (-whole +parts):\n%s", r.Kind, diff)
		}
		changes += len(whole)
	}
	if changes == 0 {
		t.Fatal("no rule changed any flag: the test shows nothing")
	}
}
