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
