package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// ScanDelays reads, latest received first, the delays to a first scan of
// the seller's valid numbers received in the range: never scanned is nil,
// a scan before the number arrived is 0; cancelled orders, numbers failing
// the check, numbers that arrived after the range (an order received in it
// but shipped later) and other sellers' are left out; limit keeps the
// latest.
func TestScanDelays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, st, seller, other := twoSellers(ctx, t)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	from, to := now.AddDate(0, 0, -30), now.AddDate(0, 0, -7)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	h := time.Hour
	n := 0
	insert := func(sellerID string, created time.Time, received, scan, cancelled *time.Time, valid bool) {
		t.Helper()
		n++
		if _, err := db.Exec(`INSERT INTO shipments (seller_id, order_id, carrier, status, created_at, updated_at,
				tracking_number, normalized_tracking_number, tracking_valid, tracking_received_at, first_scan_at, cancelled_at)
			VALUES ($1, $2, 'ups', 'PENDING', $3, $3, $4, $4, $5, $6, $7, $8)`,
			sellerID, fmt.Sprintf("O%d", n), created, fmt.Sprintf("1ZTEST%04d", n), valid, received, scan, cancelled); err != nil {
			t.Fatal(err)
		}
	}
	at := func(t time.Time) *time.Time { return &t }
	insert(seller.ID, day(-10), at(day(-10).Add(h)), at(day(-10).Add(4*h)), nil, true) // 3 hours
	insert(seller.ID, day(-11), at(day(-11)), nil, nil, true)                          // never
	insert(seller.ID, day(-12), at(day(-12).Add(2*h)), at(day(-12).Add(h)), nil, true) // scanned first: 0
	insert(seller.ID, day(-13), nil, at(day(-13).Add(30*h)), nil, true)                // no received time: from created, 30 hours
	insert(seller.ID, day(-14), at(day(-14)), nil, at(day(-14).Add(h)), true)          // cancelled
	insert(seller.ID, day(-15), at(day(-15)), nil, nil, false)                         // fails the check
	insert(seller.ID, day(-16), at(day(-2)), nil, nil, true)                           // number arrived after the range
	insert(seller.ID, day(-3), at(day(-3)), nil, nil, true)                            // received after the range
	insert(seller.ID, day(-40), at(day(-40)), nil, nil, true)                          // before the range
	insert(other.ID, day(-10), at(day(-10)), nil, nil, true)                           // another seller's
	got, err := st.ScanDelays(ctx, seller.ID, from, to, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3h0m0s", "never", "0s", "30h0m0s"}
	show := func(ds []*time.Duration) []string {
		out := []string{}
		for _, d := range ds {
			if d == nil {
				out = append(out, "never")
				continue
			}
			out = append(out, d.String())
		}
		return out
	}
	if fmt.Sprint(show(got)) != fmt.Sprint(want) {
		t.Errorf("ScanDelays() = %v, want %v", show(got), want)
	}
	got, err = st.ScanDelays(ctx, seller.ID, from, to, 2)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(show(got)) != fmt.Sprint(want[:2]) {
		t.Errorf("ScanDelays(limit 2) = %v, want %v", show(got), want[:2])
	}
}
