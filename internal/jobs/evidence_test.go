package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestEvidencePurgeWorker runs the daily purge over evidence three years
// old: the quiet shipment's evidence goes, the disputed one's stays.
func TestEvidencePurgeWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	seller, err := st.InsertSeller(ctx, "Northwind")
	if err != nil {
		t.Fatal(err)
	}
	ups, err := st.UpsertShipments(ctx, db, seller.ID, []store.ShipmentWrite{
		{OrderID: "quiet", TrackingNumber: "NUM1", NormalizedTrackingNumber: "NUM1"},
		{OrderID: "disputed", TrackingNumber: "NUM2", NormalizedTrackingNumber: "NUM2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Transact(ctx, func(tx *sqlx.Tx) error {
		var evs []store.NewEvent
		for _, n := range []string{"NUM1", "NUM2"} {
			evs = append(evs, store.NewEvent{Normalized: n, Event: shipment.Event{TrackingNumber: n,
				OccurredAt: time.Now().Add(-time.Hour), Status: shipment.StatusDelivered, SignedBy: "Ann", Source: shipment.SourceAfterShip}})
		}
		if _, err := st.InsertEvents(ctx, tx, seller.ID, evs); err != nil {
			return err
		}
		ps, err := st.EventProofs(ctx, tx, seller.ID, evs)
		if err != nil {
			return err
		}
		_, err = st.InsertProofs(ctx, tx, seller.ID, ps)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertDispute(ctx, db, seller.ID, ups[1].Shipment.ID, store.DisputeWrite{Kind: "CHARGEBACK"}); err != nil {
		t.Fatal(err)
	}

	// Age everything three years: the purge function refuses a cutoff in
	// the future, so the clock cannot be moved; the rows can, by the
	// superuser with the triggers off.
	super := dbtest.Superuser(t, url)
	if _, err := super.Exec(`BEGIN; SET LOCAL session_replication_role = replica;
		UPDATE evidence_chains SET updated_at = now() - interval '3 years';
		UPDATE shipments SET updated_at = now() - interval '3 years', last_event_at = now() - interval '3 years';
		UPDATE disputes SET updated_at = now() - interval '3 years', opened_at = now() - interval '3 years';
		COMMIT`); err != nil {
		t.Fatal(err)
	}
	w := jobs.NewEvidencePurgeWorker(jobs.EvidenceDeps{Store: st, Retention: 17520 * time.Hour})
	job := &river.Job[jobs.EvidencePurgeArgs]{JobRow: &rivertype.JobRow{ID: 1}}
	for range 2 { // idempotent
		if err := w.Work(ctx, job); err != nil {
			t.Fatalf("Work() error = %v", err)
		}
	}
	for i, want := range []int{0, 2} {
		c, err := st.ReadChain(ctx, db, seller.ID, store.ChainOf(ups[i].Shipment))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.Events) + len(c.Proofs); got != want {
			t.Errorf("%s: %d evidence records after the purge, want %d", ups[i].Shipment.OrderID, got, want)
		}
	}
	if got := (jobs.EvidencePurgeArgs{}).Kind(); got != "shipwatch.evidence.purge" {
		t.Errorf("Kind() = %q", got)
	}
}
