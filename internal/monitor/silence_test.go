package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// silenceEnv is a seller with one EasyPost source and a week of its
// deliveries, on a clock the test moves (a fixed date: nothing here reads
// the wall clock's).
type silenceEnv struct {
	t      *testing.T
	ctx    context.Context
	clock  time.Time
	svc    *monitor.Service
	st     *store.Store
	db     *sqlx.DB
	seller string
	src    string
	ships  []string
}

// newSilenceEnv seeds perHour deliveries in every hour of the week before
// the clock, then one real delivery at last, and opens shipments shipped
// shippedAgo before the clock.
func newSilenceEnv(t *testing.T, perHour int, last time.Duration, shipments int, shippedAgo time.Duration) *silenceEnv {
	t.Helper()
	e := &silenceEnv{t: t, ctx: context.Background(), clock: time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)}
	e.db = dbtest.DB(t)
	e.svc, e.st = monitortest.New(t, e.db, monitor.WithClock(func() time.Time { return e.clock }))
	seller, err := e.st.InsertSeller(e.ctx, "Quiet")
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
	start := e.clock.Add(-8 * 24 * time.Hour).Truncate(time.Hour)
	for at := start; at.Before(e.clock.Add(-last).Truncate(time.Hour)); at = at.Add(time.Hour) {
		if err := e.st.RecordSourceOutcome(e.ctx, source.Outcome{SellerID: e.seller, SourceID: e.src, Kind: source.Webhook,
			At: at.Add(10 * time.Minute), OK: perHour}); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clock
	e.clock = now.Add(-last)
	e.deliver("EZ1000000001")
	e.clock = now
	shipped := now.Add(-shippedAgo)
	var ins []shipment.Input
	for i := range shipments {
		ins = append(ins, shipment.Input{OrderID: fmt.Sprintf("Q-%d", i), Carrier: "ups",
			TrackingNumber: fmt.Sprintf("1ZQUIET%010d", i), ShippedAt: &shipped})
	}
	res, err := e.svc.CreateShipments(e.ctx, e.seller, ins)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		e.ships = append(e.ships, r.Shipment.ID)
	}
	return e
}

// deliver processes a usable EasyPost delivery at the clock.
func (e *silenceEnv) deliver(number string) {
	e.t.Helper()
	body := `{"description":"tracker.updated","result":{"tracking_code":"` + number + `","tracking_details":[
		{"status":"in_transit","datetime":"2020-01-01T10:00:00Z","message":"Arrived"}]}}`
	ids, err := e.st.InsertWebhookDeliveries(e.ctx, e.db, []store.NewWebhookDelivery{{SellerID: e.seller, SourceID: e.src,
		Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: []byte(body)}})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.ProcessDeliveries(e.ctx, ids); err != nil {
		e.t.Fatal(err)
	}
}

func (e *silenceEnv) health() source.Health {
	e.t.Helper()
	hs, err := e.st.SourceHealth(e.ctx, e.seller, []string{e.src})
	if err != nil || len(hs) != 1 {
		e.t.Fatalf("SourceHealth() = %v, %v", hs, err)
	}
	return hs[0]
}

// sweep sweeps at the clock and returns the open flags of the first
// shipment, by kind, with their messages.
func (e *silenceEnv) sweep() map[flag.Kind]string {
	e.t.Helper()
	if _, _, err := e.svc.Sweep(e.ctx, e.clock); err != nil {
		e.t.Fatal(err)
	}
	yes := true
	page, err := e.st.Flags(e.ctx, e.seller, store.FlagFilter{ShipmentID: e.ships[0], Open: &yes}, 100, store.Cursor{})
	if err != nil {
		e.t.Fatal(err)
	}
	kinds := map[flag.Kind]string{}
	for _, f := range page.Items {
		kinds[f.Kind] = f.Message
	}
	return kinds
}

// A busy webhook source (20 deliveries an hour, every hour of the week)
// goes silent: not judged before 3 hours; at 3 h 10 min it is degraded
// with the silence and the rate in words; a shipment whose inactive-
// tracking boundary passes during the silence gets SOURCE_DEGRADED, not
// INACTIVE_TRACKING; the next delivery recovers the source and the held
// rule resumes.
func TestSilentWebhookSourceHoldsNoNewsRules(t *testing.T) {
	e := newSilenceEnv(t, 20, 3*time.Hour+10*time.Minute, 12, 47*time.Hour)
	e.clock = e.clock.Add(-20 * time.Minute) // silent 2 h 50 min
	k := e.sweep()
	_, inactive := k[flag.InactiveTracking]
	_, degraded := k[flag.SourceDegraded]
	if inactive || degraded || e.health().State() != source.OK {
		t.Fatalf("after 2 h 50 min of silence: flags %v, health %s; want neither no-news flag and OK", k, e.health().State())
	}
	e.clock = e.clock.Add(20 * time.Minute)
	e.sweep()
	h := e.health()
	want := "no webhook for 3 h 10 min while it delivered ~20 an hour at these hours over the past 7 days"
	if h.State() != source.Degraded || h.DegradedReason != want {
		t.Fatalf("after 3 h 10 min of silence: %s %q, want DEGRADED %q", h.State(), h.DegradedReason, want)
	}
	e.clock = e.clock.Add(2 * time.Hour) // 49 h after shipping, still silent
	k = e.sweep()
	if _, held := k[flag.InactiveTracking]; held || !strings.Contains(k[flag.SourceDegraded], want) {
		t.Fatalf("open flags while silent = %v, want SOURCE_DEGRADED naming the silence and no INACTIVE_TRACKING", k)
	}
	e.clock = e.clock.Add(10 * time.Minute)
	e.deliver("EZ1000000002")
	if got := e.health().State(); got != source.OK {
		t.Fatalf("after a delivery: %s, want OK", got)
	}
	k = e.sweep()
	if _, back := k[flag.InactiveTracking]; !back {
		t.Errorf("open flags after recovery = %v, want INACTIVE_TRACKING back", k)
	}
	if _, still := k[flag.SourceDegraded]; still {
		t.Errorf("open flags after recovery = %v, want SOURCE_DEGRADED resolved", k)
	}
}

// No false alarm: a source that delivers little at these hours (a small
// seller, or the night), and a busy source whose seller has few parcels
// in flight, stay OK through hours of silence, and the no-news rule runs.
func TestQuietWebhookSourceIsNotDegraded(t *testing.T) {
	for _, tc := range []struct {
		name             string
		perHour, parcels int
	}{
		{"a few deliveries an hour", 2, 12},
		{"busy, few parcels in flight", 20, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSilenceEnv(t, tc.perHour, 5*time.Hour, tc.parcels, 49*time.Hour)
			k := e.sweep()
			if h := e.health(); h.State() != source.OK {
				t.Errorf("health after 5 h of silence = %s %q, want OK", h.State(), h.DegradedReason)
			}
			if _, raised := k[flag.InactiveTracking]; !raised {
				t.Errorf("open flags = %v, want INACTIVE_TRACKING", k)
			}
		})
	}
}

// INACTIVE_TRACKING raised before the silence was judged abnormal (the
// boundary passed in its first hours) gives way to SOURCE_DEGRADED in the
// sweep that marks the source.
func TestSilenceResolvesEarlierNoNewsFlag(t *testing.T) {
	e := newSilenceEnv(t, 20, 3*time.Hour+10*time.Minute, 12, 50*time.Hour)
	e.clock = e.clock.Add(-20 * time.Minute)
	if _, raised := e.sweep()[flag.InactiveTracking]; !raised {
		t.Fatal("INACTIVE_TRACKING not raised while the source still counted as working")
	}
	e.clock = e.clock.Add(20 * time.Minute)
	k := e.sweep()
	if _, still := k[flag.InactiveTracking]; still || k[flag.SourceDegraded] == "" {
		t.Errorf("open flags in the sweep that marks the source = %v, want SOURCE_DEGRADED instead of INACTIVE_TRACKING", k)
	}
}

// A small seller's source (1 delivery an hour, every hour of the week)
// goes silent: swept every hour, it is not judged while its silent whole
// hours' median is under 12 (up to 12 h 10 min of silence: 11 whole
// hours), and is degraded at 13 h 10 min (12 whole hours, a median of 12);
// a shipment whose boundary passes after that gets SOURCE_DEGRADED, not
// INACTIVE_TRACKING, and the next delivery brings INACTIVE_TRACKING back.
func TestSmallSilentSourceIsJudgedOverLongerSilence(t *testing.T) {
	e := newSilenceEnv(t, 1, 13*time.Hour+10*time.Minute, 12, 47*time.Hour)
	end := e.clock
	for back := 10 * time.Hour; back >= time.Hour; back -= time.Hour {
		e.clock = end.Add(-back)
		if k := e.sweep(); e.health().State() != source.OK || k[flag.SourceDegraded] != "" {
			t.Fatalf("after %s of silence: %s, flags %v; want OK", end.Add(-back).Sub(end.Add(-13*time.Hour-10*time.Minute)),
				e.health().State(), k)
		}
	}
	e.clock = end
	e.sweep()
	want := "no webhook for 13 h 10 min while it delivered ~1 an hour at these hours over the past 7 days"
	if h := e.health(); h.State() != source.Degraded || h.DegradedReason != want {
		t.Fatalf("after 13 h 10 min of silence: %s %q, want DEGRADED %q", h.State(), h.DegradedReason, want)
	}
	e.clock = end.Add(2 * time.Hour) // 49 h after shipping, still silent
	k := e.sweep()
	if _, held := k[flag.InactiveTracking]; held || !strings.Contains(k[flag.SourceDegraded], want) {
		t.Fatalf("open flags while silent = %v, want SOURCE_DEGRADED naming the silence and no INACTIVE_TRACKING", k)
	}
	e.clock = e.clock.Add(10 * time.Minute)
	e.deliver("EZ1000000002")
	if k := e.sweep(); k[flag.InactiveTracking] == "" || k[flag.SourceDegraded] != "" {
		t.Errorf("open flags after the next delivery = %v, want INACTIVE_TRACKING and no SOURCE_DEGRADED", k)
	}
}
