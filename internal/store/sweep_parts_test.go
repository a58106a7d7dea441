package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestShipmentParts checks that the parts cover every id once, and split
// both kinds of ids, random and time-ordered (migration 0160), evenly.
func TestShipmentParts(t *testing.T) {
	t.Parallel()
	if got, want := store.ShipmentParts(1), []store.ShipmentPart{{}}; !cmp.Equal(got, want) {
		t.Errorf("ShipmentParts(1) = %v, want %v", got, want)
	}
	if got, want := store.ShipmentParts(2), []store.ShipmentPart{{Index: 0, Of: 2}, {Index: 1, Of: 2}}; !cmp.Equal(got, want) {
		t.Errorf("ShipmentParts(2) = %v, want %v", got, want)
	}
	ids := map[string]string{
		// The same milliseconds and the same first 64 bits: a split by
		// id range would put them all in one part.
		"time-ordered": "019afa3c-1f2e-7%03x-8000-0000000000%02x",
		"random":       "%08x-0000-4000-8000-0000000000%02x",
	}
	for kind, format := range ids {
		parts := store.ShipmentParts(3)
		count := make([]int, len(parts))
		for i := range 300 {
			id := fmt.Sprintf(format, i, i%256)
			held := 0
			for k, p := range parts {
				if p.Holds(id) {
					held++
					count[k]++
				}
			}
			if held != 1 || !(store.ShipmentPart{}).Holds(id) {
				t.Fatalf("%s id %s is in %d of the 3 parts, want exactly one (and in the whole)", kind, id, held)
			}
		}
		for k, n := range count {
			if n < 80 || n > 120 {
				t.Errorf("%s ids: part %d holds %d of 300, want about 100", kind, k, n)
			}
		}
	}
}

// TestFlagChangesByParts checks what the sweep's parts rely on: the
// seller's changes (FlagChanges, found once for the whole seller) split
// by ShipmentPart.Keep into two parts of about half each, between them
// each change once, and LockUnlocked of each part, run in two
// transactions at once (the first still holding its locks), locks all of
// its part's changes without waiting on the other.
func TestFlagChangesByParts(t *testing.T) {
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
	var byPart [2][]string
	changes := 0
	for _, r := range flag.Rules {
		if !r.TimeBased || r.Custom != "" {
			continue
		}
		whole, err := st.FlagChanges(ctx, db, r, seller, now)
		if err != nil {
			t.Fatal(err)
		}
		first, second := parts[0].Keep(whole), parts[1].Keep(whole)
		for i, ids := range [][]string{first, second} {
			for _, id := range ids {
				if !parts[i].Holds(id) {
					t.Errorf("%s: part %d kept %s, which is not its own", r.Kind, i, id)
				}
			}
			if len(whole) >= 20 && len(ids) < len(whole)/4 {
				t.Errorf("%s: part %d kept %d of the %d changes, want about half", r.Kind, i, len(ids), len(whole))
			}
			byPart[i] = append(byPart[i], ids...)
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

	tx1, tx2 := db.MustBeginTx(ctx, nil), db.MustBeginTx(ctx, nil)
	defer tx1.Rollback() //nolint:errcheck // rolled back below
	defer tx2.Rollback() //nolint:errcheck // rolled back below
	// A statement that waited on the other part's locks would hang here;
	// the timeout makes it fail instead.
	for _, tx := range []*sqlx.Tx{tx1, tx2} {
		tx.MustExec(`SET LOCAL lock_timeout = '5s'`)
	}
	for i, tx := range []*sqlx.Tx{tx1, tx2} {
		want := distinctSorted(byPart[i])
		locked, err := st.LockUnlocked(ctx, tx, seller, byPart[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, locked); diff != "" {
			t.Errorf("part %d locked other shipments than its changes (-changes +locked):\n%s", i, diff)
		}
	}
	// A shipment another transaction holds is skipped, not waited on.
	locked, err := st.LockUnlocked(ctx, db, seller, byPart[0][:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(locked) != 0 {
		t.Errorf("locked %v, which another transaction holds", locked)
	}
}

func distinctSorted(ids []string) []string {
	out := append([]string{}, ids...)
	sort.Strings(out)
	return slices.Compact(out)
}
