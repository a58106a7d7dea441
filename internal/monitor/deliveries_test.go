package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"slices"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestSweepProcessesLostDeliveries checks the safety net: a delivery whose
// job was lost is processed by the sweep once it is old enough, once.
func TestSweepProcessesLostDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	src, err := st.InsertTrackingSource(ctx, seller.ID, store.NewTrackingSource{Provider: monitor.ProviderEasyPost, SecretSealed: bytes.Repeat([]byte{1}, 40), KeyID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"description":"tracker.updated","result":{"tracking_code":"EZ1000000001","tracking_details":[
		{"status":"in_transit","datetime":"2026-11-02T10:00:00Z","message":"Arrived"},
		{"status":"out_for_delivery","datetime":"2026-11-03T08:00:00Z","message":"Out"}]}}`)
	bad := []byte(`{"result":{"tracking_code":"EZ1000000002","tracking_details":[{"datetime":"later"}]}}`)
	ids, err := st.InsertWebhookDeliveries(ctx, db, []store.NewWebhookDelivery{
		{SellerID: seller.ID, SourceID: src.ID, Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: body},
		{SellerID: seller.ID, SourceID: src.ID, Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: bad},
		{SellerID: seller.ID, SourceID: src.ID, Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: body},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The first two are old enough to sweep, the third is not.
	if _, err := db.Exec(`UPDATE webhook_deliveries SET received_at = now() - interval '10 minutes' WHERE id = ANY($1)`, pqInt64s(ids[:2])); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second sweep finds nothing left to do
		if err := svc.SweepDeliveries(ctx); err != nil {
			t.Fatalf("SweepDeliveries() = %v", err)
		}
	}
	var got []struct {
		ID        int64   `db:"id"`
		Processed bool    `db:"processed"`
		Events    *int    `db:"events"`
		Error     *string `db:"error"`
	}
	if err := db.Select(&got, `SELECT id, processed_at IS NOT NULL AS processed, events, error FROM webhook_deliveries ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !got[0].Processed || got[0].Events == nil || *got[0].Events != 2 || got[0].Error != nil {
		t.Errorf("old delivery = %+v, want processed with 2 events", got[0])
	}
	if !got[1].Processed || got[1].Error == nil {
		t.Errorf("unparseable delivery = %+v, want processed with its error kept", got[1])
	}
	if got[2].Processed {
		t.Errorf("recent delivery = %+v, want it left to its job", got[2])
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM tracking_events`); err != nil || n != 2 {
		t.Errorf("%d events stored (%v), want 2", n, err)
	}
	// Its job, late, changes nothing; the third one's job processes it.
	if err := svc.ProcessDeliveries(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&n, `SELECT count(*) FROM tracking_events`); err != nil || n != 2 {
		t.Errorf("%d events after the jobs (%v), want still 2: the third delivery repeats the first", n, err)
	}
	if err := db.Get(&n, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`); err != nil || n != 0 {
		t.Errorf("%d deliveries unprocessed (%v), want 0", n, err)
	}
}

func pqInt64s(v []int64) any { return pq.Array(v) }

// TestDrainDeliveries checks the job's batching: a job processes its own
// deliveries and the others pending with them, and leaves alone, without
// waiting, a delivery another transaction holds.
func TestDrainDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	src, err := st.InsertTrackingSource(ctx, seller.ID, store.NewTrackingSource{Provider: monitor.ProviderEasyPost, SecretSealed: bytes.Repeat([]byte{1}, 40), KeyID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var ds []store.NewWebhookDelivery
	for i := range 4 {
		body := fmt.Appendf(nil, `{"description":"tracker.updated","result":{"tracking_code":"EZ100000000%d","tracking_details":[
			{"status":"in_transit","datetime":"2026-11-02T10:00:00Z","message":"Arrived"}]}}`, i)
		ds = append(ds, store.NewWebhookDelivery{SellerID: seller.ID, SourceID: src.ID, Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: body})
	}
	ids, err := st.InsertWebhookDeliveries(ctx, db, ds)
	if err != nil {
		t.Fatal(err)
	}
	// Another transaction holds the last delivery, as a job processing it would.
	holder, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck // a rollback after the test's end changes nothing
	if _, err := holder.ExecContext(ctx, `SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE`, ids[3]); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := svc.DrainDeliveries(wait, ids[:1]); err != nil {
		t.Fatalf("DrainDeliveries(%v) = %v", ids[:1], err)
	}
	var processed []int64
	if err := db.Select(&processed, `SELECT id FROM webhook_deliveries WHERE processed_at IS NOT NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := ids[:3]; !slices.Equal(processed, want) {
		t.Errorf("processed deliveries = %v, want %v: the job's own, the two others pending, not the held one", processed, want)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	// The held delivery's own job finds it free and processes it alone.
	if err := svc.DrainDeliveries(ctx, ids[3:]); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM tracking_events`); err != nil || n != 4 {
		t.Errorf("%d events stored (%v), want 4, one per delivery", n, err)
	}
}
