package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestPurgeEvidence: evidence whose shipments have been quiet past the
// cutoff goes, unless a dispute on them is open; the triggers still
// refuse deletes outside the purge.
func TestPurgeEvidence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	cutoff := now.Add(-2 * 365 * 24 * time.Hour)
	old := now.Add(-3 * 365 * 24 * time.Hour)

	parcel := func(order, num string) store.Shipment {
		sh := f.shipment(order, num)
		e := ev("2023-01-10T10:00:00Z", shipment.StatusDelivered, "Delivered")
		e.Normalized, e.Event.TrackingNumber = num, num
		f.insert(e)
		f.proofs(store.NewProof{Chain: store.ChainOf(sh), ShipmentID: sh.ID, DeliveredAt: at("2023-01-10T10:00:00Z"),
			SignedBy: "Ann", Source: shipment.SourceBackOffice, Photo: &store.Image{ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}})
		return sh
	}
	quiet := parcel("quiet", "NUM1")
	disputed := parcel("disputed", "NUM2")
	f.dispute(disputed, "CHARGEBACK", nil)
	recent := parcel("recently-updated", "NUM3")
	settled := parcel("settled", "NUM4")
	d := f.dispute(settled, "A_TO_Z_CLAIM", nil)
	if _, err := f.st.CloseDispute(ctx, f.db, f.seller, d.ID, "WON"); err != nil {
		t.Fatal(err)
	}
	orphan := ev("2023-01-10T10:00:00Z", shipment.StatusInTransit, "Scan for a number no shipment has")
	orphan.Normalized, orphan.Event.TrackingNumber = "NUM5", "NUM5"
	f.insert(orphan)
	young := parcel("young", "NUM6")

	// Age everything but "young": the clock cannot be moved, the rows can
	// (as the superuser, past the triggers).
	f.tamper(`UPDATE evidence_chains SET updated_at = $1 WHERE normalized_tracking_number <> 'NUM6'`, old)
	f.tamper(`UPDATE shipments SET updated_at = $1, last_event_at = $1 WHERE order_id <> 'recently-updated' AND order_id <> 'young'`, old)
	f.tamper(`UPDATE disputes SET updated_at = $1, opened_at = $1, closed_at = $1`, old)

	n, err := f.st.PurgeEvidence(ctx, cutoff)
	if err != nil {
		t.Fatalf("PurgeEvidence() error = %v", err)
	}
	if want := (store.Purged{Chains: 3, Events: 3, Proofs: 2, Images: 2}); n != want {
		t.Errorf("PurgeEvidence() = %+v, want %+v (quiet, settled, orphan)", n, want)
	}
	for sh, kept := range map[*store.Shipment]bool{&quiet: false, &settled: false, &disputed: true, &recent: true, &young: true} {
		c := f.chain(store.ChainOf(*sh))
		if got := len(c.Events) + len(c.Proofs); (got > 0) != kept {
			t.Errorf("%s: %d records after the purge, want kept = %v", sh.OrderID, got, kept)
		}
		if v := c.Audit(); !v.Intact {
			t.Errorf("%s: Audit() after the purge = %+v, want intact", sh.OrderID, v)
		}
	}
	if n, err := f.st.PurgeEvidence(ctx, cutoff); err != nil || n != (store.Purged{}) {
		t.Errorf("second PurgeEvidence() = %+v, %v; want nothing left to do", n, err)
	}
	// Evidence for a purged number starts a new chain.
	again := ev("2026-01-01T00:00:00Z", shipment.StatusInTransit, "Back in the network")
	again.Normalized, again.Event.TrackingNumber = "NUM1", "NUM1"
	f.insert(again)
	if c := f.chain(store.ChainOf(quiet)); c.Records != 1 || len(c.Events) != 1 || c.Events[0].Seq != 1 || !c.Audit().Intact {
		t.Errorf("chain of a purged number after a new event: %d records, %+v; want a fresh intact chain", c.Records, c.Audit())
	}
	if _, err := f.db.ExecContext(ctx, `DELETE FROM tracking_events`); err == nil {
		t.Errorf("DELETE outside the purge succeeded, want refused")
	}
}
