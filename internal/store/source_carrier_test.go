package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// A batch's carriers are counted per hour beside the source's total; a
// carrier is held once, shown on its source's health to its seller only,
// and released once; retention drops the per-carrier hours with the
// source's.
func TestSourceCarrierHealth(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.DB(t))
	seller, err := st.InsertSeller(ctx, "Aggregated")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.InsertSeller(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	src, err := st.InsertTrackingSource(ctx, seller.ID, store.NewTrackingSource{Provider: "EASYPOST",
		SecretSealed: bytes.Repeat([]byte{1}, 40), KeyID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, time.March, 10, 14, 10, 0, 0, time.UTC)
	for _, when := range []time.Time{at.Add(-10 * 24 * time.Hour), at, at.Add(5 * time.Minute)} {
		if err := st.RecordSourceOutcome(ctx, source.Outcome{SellerID: seller.ID, SourceID: src.ID, Kind: source.Webhook, At: when, OK: 5,
			Carriers: []source.CarrierCount{{Carrier: "UPS", Deliveries: 2}, {Carrier: "USPS", Deliveries: 3}}}); err != nil {
			t.Fatal(err)
		}
	}
	hours := []time.Time{at.Truncate(time.Hour), at.Add(-10 * 24 * time.Hour).Truncate(time.Hour)}
	got, err := st.CarrierDeliveries(ctx, []string{seller.ID}, []string{src.ID}, hours)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Carrier != "UPS" || got[0].Counts[0] != 4 || got[0].Counts[1] != 2 ||
		got[1].Carrier != "USPS" || got[1].Counts[0] != 6 || got[1].Counts[1] != 3 {
		t.Fatalf("CarrierDeliveries() = %+v, want UPS [4 2] and USPS [6 3]", got)
	}
	// Another seller's key reads nothing of the source.
	if got, err := st.CarrierDeliveries(ctx, []string{other.ID}, []string{src.ID}, hours); err != nil || len(got) != 0 {
		t.Errorf("CarrierDeliveries() for another seller = %+v, %v; want nothing", got, err)
	}

	since := at.Truncate(time.Hour).Add(-3 * time.Hour)
	for i, want := range []bool{true, false} {
		ok, err := st.MarkCarrierDegraded(ctx, seller.ID, src.ID, "USPS", since, at, "no USPS webhooks")
		if err != nil || ok != want {
			t.Fatalf("MarkCarrierDegraded() #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	hs, err := st.SourceHealth(ctx, seller.ID, []string{src.ID})
	if err != nil || len(hs) != 1 {
		t.Fatalf("SourceHealth() = %+v, %v", hs, err)
	}
	if h := hs[0]; h.State() != source.OK || len(h.DegradedCarriers) != 1 || h.DegradedCarriers[0].Carrier != "USPS" ||
		!h.DegradedCarriers[0].DegradedSince.Equal(since) || h.DegradedCarriers[0].DegradedReason != "no USPS webhooks" {
		t.Errorf("SourceHealth() = %s, %+v; want OK with USPS held since %v", h.State(), h.DegradedCarriers, since)
	}
	if hs, err := st.SourceHealth(ctx, other.ID, []string{src.ID}); err != nil || len(hs) != 0 {
		t.Errorf("SourceHealth() for another seller = %+v, %v; want nothing", hs, err)
	}
	srcs, err := st.CarrierSources(ctx, at.Add(-48*time.Hour))
	if err != nil || len(srcs) != 1 || len(srcs[0].Held) != 1 || srcs[0].Held[0] != "USPS" {
		t.Errorf("CarrierSources() = %+v, %v; want the source with USPS held", srcs, err)
	}
	for i, want := range []bool{true, false} {
		if ok, err := st.RecoverCarrier(ctx, seller.ID, src.ID, "USPS"); err != nil || ok != want {
			t.Fatalf("RecoverCarrier() #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}

	if err := st.ExpireDeliveryHours(ctx, at.Add(-9*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = st.CarrierDeliveries(ctx, []string{seller.ID}, []string{src.ID}, hours)
	if err != nil || len(got) != 2 || got[0].Counts[1] != 0 || got[1].Counts[1] != 0 || got[0].Counts[0] != 4 {
		t.Errorf("CarrierDeliveries() after retention = %+v, %v; want the hour ten days old gone, the current one kept", got, err)
	}
}
