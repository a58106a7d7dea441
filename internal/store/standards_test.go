package store_test

import (
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestStandardKeysBoundIndexed fails when the keyings of the standards
// change and shipments_standard_key_idx no longer indexes their bound:
// StandardCounts would then read every shipment of the seller again.
// Only an index of exactly the bound can hand the rows over in its order
// without a sort.
func TestStandardKeysBoundIndexed(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	if _, err := tx.Exec(`SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	if err := tx.Select(&plan, `EXPLAIN SELECT sh.id FROM shipments sh
		WHERE sh.seller_id = '00000000-0000-0000-0000-000000000001' AND `+store.StandardKeysBound()+` >= now()
		ORDER BY `+store.StandardKeysBound()); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index Scan using shipments_standard_key_idx") || strings.Contains(p, "Sort") {
		t.Errorf("shipments by the keys' bound %s are not read through shipments_standard_key_idx:\n%s", store.StandardKeysBound(), p)
	}
}

// TestStandardCountsClock fails when a count's condition reads the clock
// (w.now, the window's end) other than as deliver_by < w.now: a
// CountsKept counts again, at each call's instant, only the rows with a
// key or a deliverBy near it, so any other column compared with the clock
// would go stale in the kept groups.
func TestStandardCountsClock(t *testing.T) {
	t.Parallel()
	for _, c := range store.StandardCountConditions() {
		if rest := strings.ReplaceAll(c, "sh.deliver_by < w.now", ""); strings.Contains(rest, "w.now") || strings.Contains(rest, "now()") ||
			strings.Contains(rest, "clock_timestamp") || strings.Contains(rest, "current_") {
			t.Errorf("condition %q reads the clock other than as sh.deliver_by < w.now", c)
		}
	}
}
