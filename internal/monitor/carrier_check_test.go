package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// uspsNumber is a valid 22-digit USPS number (IMpb, GS1 mod 10).
func uspsNumber(i int) string {
	body := fmt.Sprintf("9400111%014d", i)
	sum := 0
	for j, w := len(body)-1, 3; j >= 0; j-- {
		sum += int(body[j]-'0') * w
		w = 4 - w
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// carrierEnv is a seller whose EasyPost source brought UPS and USPS
// events, perHour of each every hour of the week before the clock's last
// three hours, and its open USPS and UPS shipments, shipped 49 hours
// before the clock (past the 48-hour inactive-tracking boundary).
type carrierEnv struct {
	*silenceEnv
	usps, ups []string
}

func newCarrierEnv(t *testing.T, perHour, parcels int) *carrierEnv {
	t.Helper()
	clock := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	return newCarrierEnvWith(t, carrierSeed{ups: perHour, usps: perHour, until: clock.Truncate(time.Hour).Add(-3 * time.Hour),
		parcels: parcels, shipped: clock.Add(-49 * time.Hour)})
}

// carrierSeed is a seller's history: ups and usps deliveries every hour
// of the 8 days before until, and parcels open shipments of each carrier
// shipped at shipped.
type carrierSeed struct {
	ups, usps, parcels int
	until, shipped     time.Time
}

func newCarrierEnvWith(t *testing.T, seed carrierSeed) *carrierEnv {
	t.Helper()
	e := &carrierEnv{silenceEnv: &silenceEnv{t: t, ctx: context.Background(), clock: time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)}}
	e.db = dbtest.DB(t)
	e.svc, e.st = monitortest.New(t, e.db, monitor.WithClock(func() time.Time { return e.clock }))
	seller, err := e.st.InsertSeller(e.ctx, "Aggregated")
	if err != nil {
		t.Fatal(err)
	}
	e.seller = seller.ID
	src, err := e.st.InsertTrackingSource(e.ctx, seller.ID, store.NewTrackingSource{Provider: monitor.ProviderEasyPost,
		SecretSealed: bytes.Repeat([]byte{1}, 40), KeyID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.src = src.ID
	for at := seed.until.Add(-8 * 24 * time.Hour); at.Before(seed.until); at = at.Add(time.Hour) {
		e.recordCarriers(at.Add(10*time.Minute), seed.ups, seed.usps)
	}
	shipped := seed.shipped
	var ins []shipment.Input
	for i := range seed.parcels {
		ins = append(ins,
			shipment.Input{OrderID: fmt.Sprintf("P-%d", i), Carrier: "usps", TrackingNumber: uspsNumber(i), ShippedAt: &shipped},
			shipment.Input{OrderID: fmt.Sprintf("U-%d", i), Carrier: "ups", TrackingNumber: fmt.Sprintf("1ZAGGR%010d", i), ShippedAt: &shipped})
	}
	res, err := e.svc.CreateShipments(e.ctx, e.seller, ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if i%2 == 0 {
			e.usps = append(e.usps, r.Shipment.ID)
		} else {
			e.ups = append(e.ups, r.Shipment.ID)
		}
	}
	return e
}

// recordCarriers adds ups and usps usable deliveries of the source at at,
// as a delivery batch's health statement does.
func (e *carrierEnv) recordCarriers(at time.Time, ups, usps int) {
	e.t.Helper()
	o := source.Outcome{SellerID: e.seller, SourceID: e.src, Kind: source.Webhook, At: at, OK: ups + usps}
	for _, c := range []source.CarrierCount{{Carrier: "UPS", Deliveries: ups}, {Carrier: "USPS", Deliveries: usps}} {
		if c.Deliveries > 0 {
			o.Carriers = append(o.Carriers, c)
		}
	}
	if err := e.st.RecordSourceOutcome(e.ctx, o); err != nil {
		e.t.Fatal(err)
	}
}

// deliverUPS processes n real EasyPost deliveries of UPS numbers (other
// than the seller's shipments') at at: the path whose counts the carrier
// check reads.
func (e *carrierEnv) deliverUPS(at time.Time, n int) {
	e.t.Helper()
	e.clock = at
	var ds []store.NewWebhookDelivery
	for i := range n {
		body := fmt.Sprintf(`{"description":"tracker.updated","result":{"tracking_code":"1ZOTHER%09d%02d","carrier":"UPS","tracking_details":[
			{"status":"in_transit","datetime":"2026-03-10T00:00:00Z","message":"Arrived"}]}}`, at.Hour(), i)
		ds = append(ds, store.NewWebhookDelivery{SellerID: e.seller, SourceID: e.src, Provider: monitor.ProviderEasyPost,
			Headers: map[string][]string{}, Body: []byte(body)})
	}
	ids, err := e.st.InsertWebhookDeliveries(e.ctx, e.db, ds)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.ProcessDeliveries(e.ctx, ids); err != nil {
		e.t.Fatal(err)
	}
}

// openFlags sweeps at the clock and returns the open flags of one
// shipment, by kind, with their messages.
func (e *carrierEnv) openFlags(shipmentID string) map[flag.Kind]string {
	e.t.Helper()
	yes := true
	page, err := e.st.Flags(e.ctx, e.seller, store.FlagFilter{ShipmentID: shipmentID, Open: &yes}, 100, store.Cursor{})
	if err != nil {
		e.t.Fatal(err)
	}
	kinds := map[flag.Kind]string{}
	for _, f := range page.Items {
		kinds[f.Kind] = f.Message
	}
	return kinds
}

func (e *carrierEnv) sweepAt(at time.Time) {
	e.t.Helper()
	e.clock = at
	if _, _, err := e.svc.Sweep(e.ctx, at); err != nil {
		e.t.Fatal(err)
	}
}

// An EasyPost source whose USPS events stop while its UPS events keep
// coming at the usual rate: the source stays OK, its USPS flow is held
// with the reason in words; the seller's USPS shipments past their
// inactive-tracking boundary get SOURCE_DEGRADED naming the source and
// USPS, never INACTIVE_TRACKING; its UPS shipments get INACTIVE_TRACKING
// as usual. USPS events coming back recover the carrier, SOURCE_DEGRADED
// resolves and INACTIVE_TRACKING resumes.
func TestCarrierOutageBehindWebhookSource(t *testing.T) {
	if got := tracking.Check(uspsNumber(1), "").Carrier; got != "usps" {
		t.Fatalf("Check(%q).Carrier = %q, want usps", uspsNumber(1), got)
	}
	e := newCarrierEnv(t, 20, 12)
	hour := e.clock.Truncate(time.Hour)
	// 11:00 to 14:00: UPS at 20 an hour through the real path, no USPS.
	for h := 3; h >= 1; h-- {
		e.deliverUPS(hour.Add(-time.Duration(h)*time.Hour+10*time.Minute), 20)
	}
	e.sweepAt(hour.Add(20 * time.Minute))

	h := e.health()
	if h.State() != source.OK {
		t.Errorf("source health = %s %q, want OK: it works for UPS", h.State(), h.DegradedReason)
	}
	wantReason := "no USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~60 at these hours over the past 7 days"
	if len(h.DegradedCarriers) != 1 || h.DegradedCarriers[0].Carrier != "USPS" || h.DegradedCarriers[0].DegradedReason != wantReason ||
		!h.DegradedCarriers[0].DegradedSince.Equal(hour.Add(-3*time.Hour)) {
		t.Fatalf("held carriers = %+v, want USPS since %v for %q", h.DegradedCarriers, hour.Add(-3*time.Hour), wantReason)
	}
	degraded := 0
	for _, id := range e.usps {
		k := e.openFlags(id)
		if _, raised := k[flag.InactiveTracking]; raised {
			t.Errorf("USPS shipment %s: INACTIVE_TRACKING raised during our USPS outage: %v", id, k)
		}
		if m, ok := k[flag.SourceDegraded]; ok {
			degraded++
			if !strings.Contains(m, "EASYPOST webhooks for USPS") || !strings.Contains(m, wantReason) {
				t.Errorf("SOURCE_DEGRADED = %q, want it to name EASYPOST webhooks for USPS and why", m)
			}
		}
	}
	if degraded != len(e.usps) {
		t.Errorf("%d of %d USPS shipments have SOURCE_DEGRADED, want each exactly one", degraded, len(e.usps))
	}
	for _, id := range e.ups {
		k := e.openFlags(id)
		if _, raised := k[flag.InactiveTracking]; !raised {
			t.Errorf("UPS shipment %s: open flags %v, want INACTIVE_TRACKING (UPS events keep coming)", id, k)
		}
		if _, held := k[flag.SourceDegraded]; held {
			t.Errorf("UPS shipment %s: SOURCE_DEGRADED raised, but only USPS is failing", id)
		}
	}

	// A second sweep in the same hour changes nothing.
	e.sweepAt(hour.Add(40 * time.Minute))
	if k := e.openFlags(e.usps[0]); len(k) != 1 || k[flag.SourceDegraded] == "" {
		t.Errorf("after a second sweep: %v, want SOURCE_DEGRADED alone", k)
	}

	// USPS comes back: 20 an hour (with UPS) for three hours.
	for h := 0; h < 3; h++ {
		e.recordCarriers(hour.Add(time.Duration(h)*time.Hour+10*time.Minute), 20, 20)
	}
	e.sweepAt(hour.Add(3*time.Hour + 20*time.Minute))
	if h := e.health(); len(h.DegradedCarriers) != 0 || h.State() != source.OK {
		t.Fatalf("after USPS came back: %s, held %+v; want OK and no carrier held", h.State(), h.DegradedCarriers)
	}
	k := e.openFlags(e.usps[0])
	if _, back := k[flag.InactiveTracking]; !back {
		t.Errorf("USPS shipment after recovery: %v, want INACTIVE_TRACKING back", k)
	}
	if _, still := k[flag.SourceDegraded]; still {
		t.Errorf("USPS shipment after recovery: %v, want SOURCE_DEGRADED resolved", k)
	}
}

// No false alarm: a carrier at half its usual rate, a small carrier
// silent for less than the window its volume needs, a seller with few of the carrier's parcels in flight, and a
// source that is itself quiet for an hour (the silence check's to judge)
// hold nothing, and INACTIVE_TRACKING is raised on the USPS shipments.
func TestCarrierVariationIsNotHeld(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		perHour, usps, ups, parcels int
		quietHour                   bool
	}{
		{"USPS at half its rate", 20, 10, 20, 12, false},
		{"USPS at 3 an hour, silent 3 h: its window is 6 h (a median of 18)", 3, 0, 20, 12, false},
		{"few USPS parcels in flight", 20, 0, 20, 3, false},
		{"the whole source quiet for an hour", 20, 0, 20, 12, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCarrierEnv(t, tc.perHour, tc.parcels)
			hour := e.clock.Truncate(time.Hour)
			for h := 3; h >= 1; h-- {
				ups := tc.ups
				if tc.quietHour && h == 2 {
					ups = 0
				}
				if ups+tc.usps > 0 {
					e.recordCarriers(hour.Add(-time.Duration(h)*time.Hour+10*time.Minute), ups, tc.usps)
				}
			}
			e.sweepAt(e.clock)
			if h := e.health(); len(h.DegradedCarriers) != 0 {
				t.Errorf("held carriers = %+v, want none", h.DegradedCarriers)
			}
			if k := e.openFlags(e.usps[0]); k[flag.InactiveTracking] == "" {
				t.Errorf("USPS shipment: open flags %v, want INACTIVE_TRACKING", k)
			}
		})
	}
}

// A small seller's EasyPost source: UPS at 2 an hour, USPS at 1 an hour
// (a median of 3 in 3 hours: the 3-hour window would never judge it). Its
// USPS events stop at 14:00 while UPS keeps coming. Swept every hour: not
// held after 11 silent hours, held after 12 (the window whose median
// reaches 12), with degradedSince 14:00. The USPS shipments whose
// inactive-tracking boundary passes after that get SOURCE_DEGRADED naming
// the source and USPS, never INACTIVE_TRACKING; the UPS ones get
// INACTIVE_TRACKING. USPS back at 1 an hour recovers after 6 hours (half
// the median of 12 h), SOURCE_DEGRADED resolves and INACTIVE_TRACKING
// comes.
func TestSmallCarrierOutageBehindWebhookSource(t *testing.T) {
	start := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	hour := start.Truncate(time.Hour)
	// The boundary (48 h after shipping) passes at 03:20, 13 hours on.
	e := newCarrierEnvWith(t, carrierSeed{ups: 2, usps: 1, until: hour, parcels: 12, shipped: start.Add(13*time.Hour - 48*time.Hour)})
	want := "no USPS webhooks in the last 12 h (other carriers' still arrive) while it delivered ~12 at these hours over the past 7 days"
	usps := 0
	for k := 0; k <= 24; k++ {
		at := hour.Add(time.Duration(k) * time.Hour)
		if k >= 15 { // USPS back from 05:00
			usps = 1
		}
		// Each hour: two UPS deliveries through the real path, and USPS.
		e.deliverUPS(at.Add(10*time.Minute), 2)
		if usps > 0 {
			e.recordCarriers(at.Add(12*time.Minute), 0, usps)
		}
		e.sweepAt(at.Add(20 * time.Minute))
		h := e.health()
		held := len(h.DegradedCarriers) == 1 && h.DegradedCarriers[0].Carrier == "USPS"
		// Silent whole hours at the sweep: k (14:00 to the hour before);
		// held from 12 of them until 6 hours of USPS are back (k = 21).
		if wantHeld := k >= 12 && k < 21; held != wantHeld || len(h.DegradedCarriers) > 1 || h.State() != source.OK {
			t.Fatalf("sweep at %s (%d h after USPS stopped): %s, held %+v; want OK and USPS held %v", at.Add(20*time.Minute).Format("15:04"), k,
				h.State(), h.DegradedCarriers, wantHeld)
		}
		if held && (h.DegradedCarriers[0].DegradedReason != want || !h.DegradedCarriers[0].DegradedSince.Equal(hour)) {
			t.Fatalf("USPS held since %v for %q; want since %v for %q", h.DegradedCarriers[0].DegradedSince,
				h.DegradedCarriers[0].DegradedReason, hour, want)
		}
		for _, id := range e.usps {
			f := e.openFlags(id)
			if _, raised := f[flag.InactiveTracking]; raised && k < 21 {
				t.Fatalf("sweep %d: USPS shipment %s has INACTIVE_TRACKING during our USPS outage: %v", k, id, f)
			}
			m, degraded := f[flag.SourceDegraded]
			if wantDegraded := k >= 13 && k < 21; degraded != wantDegraded {
				t.Fatalf("sweep %d: USPS shipment %s: open flags %v, want SOURCE_DEGRADED %v", k, id, f, wantDegraded)
			}
			if degraded && (!strings.Contains(m, "EASYPOST webhooks for USPS") || !strings.Contains(m, want)) {
				t.Fatalf("SOURCE_DEGRADED = %q, want it to name EASYPOST webhooks for USPS and why", m)
			}
			if _, raised := f[flag.InactiveTracking]; k >= 21 && !raised {
				t.Fatalf("sweep %d, USPS back: USPS shipment %s: open flags %v, want INACTIVE_TRACKING", k, id, f)
			}
		}
		if k == 13 {
			for _, id := range e.ups {
				if f := e.openFlags(id); f[flag.InactiveTracking] == "" || f[flag.SourceDegraded] != "" {
					t.Errorf("UPS shipment %s: open flags %v, want INACTIVE_TRACKING alone (UPS keeps coming)", id, f)
				}
			}
		}
	}
}

// A carrier at 1 an hour on an ordinary day (empty hours, the longest
// gap 8 hours) is never held, swept every hour for a day, and the USPS
// shipments past their boundary get INACTIVE_TRACKING.
func TestSmallCarrierOrdinaryDayIsNotHeld(t *testing.T) {
	start := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	hour := start.Truncate(time.Hour)
	e := newCarrierEnvWith(t, carrierSeed{ups: 2, usps: 1, until: hour, parcels: 12, shipped: start.Add(-49 * time.Hour)})
	day := []int{0, 2, 1, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 0, 1, 0, 3, 1, 0}
	for k, usps := range day {
		at := hour.Add(time.Duration(k) * time.Hour)
		e.recordCarriers(at.Add(10*time.Minute), 2, usps)
		e.sweepAt(at.Add(20 * time.Minute))
		if h := e.health(); len(h.DegradedCarriers) != 0 {
			t.Fatalf("sweep %d: held carriers %+v, want none", k, h.DegradedCarriers)
		}
	}
	if f := e.openFlags(e.usps[0]); f[flag.InactiveTracking] == "" {
		t.Errorf("USPS shipment: open flags %v, want INACTIVE_TRACKING", f)
	}
}
