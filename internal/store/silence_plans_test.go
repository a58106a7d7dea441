package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/store"
)

// The silence check counts a seller's shipments awaiting webhook scans
// through the partial indexes of the no-news rules, on a table that was
// never analysed (right after a large load) as on one that was: never
// the seller's whole range of shipments.
func TestAwaitingWebhookScansPlan(t *testing.T) {
	su, seller := planDB(t, "shipments", "Silent")
	ctx := context.Background()
	var other string
	if err := su.GetContext(ctx, &other, `INSERT INTO sellers (name) VALUES ('Other') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	loadPlanShipments(t, su, other, 1, 60000)
	loadPlanShipments(t, su, seller, 60001, 120000)
	now := time.Now()
	want := map[string]bool{"Index Scan Backward shipments_unscanned_idx": true, "Index Scan Backward shipments_moving_idx": true,
		"Index Scan shipments_unscanned_idx": true, "Index Scan shipments_moving_idx": true}
	for _, analysed := range []bool{false, true} {
		if analysed {
			if _, err := su.ExecContext(ctx, `ANALYZE shipments`); err != nil {
				t.Fatal(err)
			}
		}
		scans := planScans(t, su, store.AwaitingWebhookScansSQL, pq.Array([]string{seller}), now, now.Add(-14*24*time.Hour), 10)
		if len(scans) == 0 {
			t.Fatalf("analysed %v: the count reads no shipments", analysed)
		}
		for _, s := range scans {
			if !want[withoutAlias(s)] {
				t.Errorf("analysed %v: the count reads shipments with %s, want the no-news rules' partial indexes", analysed, s)
			}
		}
	}
}
