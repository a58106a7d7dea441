package monitor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/source"
)

// record adds n usable deliveries of the source at at, as a delivery
// batch's health statement does.
func (e *silenceEnv) record(at time.Time, n int) {
	e.t.Helper()
	if err := e.st.RecordSourceOutcome(e.ctx, source.Outcome{SellerID: e.seller, SourceID: e.src, Kind: source.Webhook, At: at, OK: n}); err != nil {
		e.t.Fatal(err)
	}
}

// A busy webhook source (40 deliveries an hour, every hour of the week)
// thins to a trickle of one an hour, never silent for long: it is marked
// degraded with its rate in words; a shipment whose inactive-tracking
// boundary passes meanwhile gets SOURCE_DEGRADED, not INACTIVE_TRACKING;
// the trickle's own deliveries do not recover it; the flow coming back
// does, and the held rule resumes.
func TestThinnedWebhookSourceHoldsNoNewsRules(t *testing.T) {
	// 14:20; the week at 40 an hour until 11:00, then one delivery at
	// 11:10 and one an hour after.
	e := newSilenceEnv(t, 40, 3*time.Hour+10*time.Minute, 12, 47*time.Hour)
	hour := e.clock.Truncate(time.Hour)
	e.record(hour.Add(-2*time.Hour+10*time.Minute), 1)
	e.record(hour.Add(-time.Hour+10*time.Minute), 1)
	e.sweep()
	h := e.health()
	want := "3 webhooks in the last 3 h while it delivered ~120 at these hours over the past 7 days (2%)"
	if h.State() != source.Degraded || h.DegradedReason != want {
		t.Fatalf("after 3 h at 1 an hour: %s %q, want DEGRADED %q", h.State(), h.DegradedReason, want)
	}
	if h.DegradedSince == nil || !h.DegradedSince.Equal(hour.Add(-3*time.Hour)) {
		t.Errorf("degradedSince = %v, want the start of the thin hours %v", h.DegradedSince, hour.Add(-3*time.Hour))
	}

	// Two more hours of trickle, one of them a real delivery: still held.
	e.clock = e.clock.Add(10 * time.Minute)
	e.deliver("EZ1000000002")
	e.record(hour.Add(time.Hour+10*time.Minute), 1)
	e.clock = hour.Add(2*time.Hour + 20*time.Minute) // 49 h after shipping
	if got := e.health().State(); got != source.Degraded {
		t.Fatalf("after a delivery of the trickle: %s, want still DEGRADED", got)
	}
	k := e.sweep()
	if _, held := k[flag.InactiveTracking]; held || !strings.Contains(k[flag.SourceDegraded], "webhooks in the last 3 h") {
		t.Fatalf("open flags while thinned = %v, want SOURCE_DEGRADED naming the thin flow and no INACTIVE_TRACKING", k)
	}

	// The flow comes back: 40 an hour for three hours.
	for i := 2; i < 5; i++ {
		e.record(hour.Add(time.Duration(i)*time.Hour+10*time.Minute), 40)
	}
	e.clock = hour.Add(5*time.Hour + 20*time.Minute)
	k = e.sweep()
	if got := e.health(); got.State() != source.OK {
		t.Fatalf("after the flow came back: %s %q, want OK", got.State(), got.DegradedReason)
	}
	if _, back := k[flag.InactiveTracking]; !back {
		t.Errorf("open flags after recovery = %v, want INACTIVE_TRACKING back", k)
	}
	if _, still := k[flag.SourceDegraded]; still {
		t.Errorf("open flags after recovery = %v, want SOURCE_DEGRADED resolved", k)
	}
}

// No false alarm on ordinary variation: a slow afternoon at half the
// usual rate, a small seller whose trickle is its usual flow, and a busy
// source whose seller has few parcels in flight all stay OK, and the
// no-news rule runs.
func TestOrdinaryVariationIsNotThinned(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		perHour, now, parcels int
	}{
		{"a slow afternoon at half the rate", 40, 20, 12},
		{"a small seller", 3, 1, 12},
		{"busy, few parcels in flight", 40, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSilenceEnv(t, tc.perHour, 3*time.Hour+10*time.Minute, tc.parcels, 49*time.Hour)
			hour := e.clock.Truncate(time.Hour)
			e.record(hour.Add(-3*time.Hour+20*time.Minute), tc.now-1)
			e.record(hour.Add(-2*time.Hour+10*time.Minute), tc.now)
			e.record(hour.Add(-time.Hour+10*time.Minute), tc.now)
			k := e.sweep()
			if h := e.health(); h.State() != source.OK {
				t.Errorf("health at %d an hour = %s %q, want OK", tc.now, h.State(), h.DegradedReason)
			}
			if _, raised := k[flag.InactiveTracking]; !raised {
				t.Errorf("open flags = %v, want INACTIVE_TRACKING", k)
			}
		})
	}
}

// Failures take a thinned source over: three failed batches in a row
// make it degraded for their reason, and the next success recovers it
// like any failing source.
func TestFailuresTakeOverThinnedSource(t *testing.T) {
	e := newSilenceEnv(t, 40, 3*time.Hour+10*time.Minute, 12, 47*time.Hour)
	hour := e.clock.Truncate(time.Hour)
	e.record(hour.Add(-2*time.Hour+10*time.Minute), 1)
	e.record(hour.Add(-time.Hour+10*time.Minute), 1)
	e.sweep()
	if h := e.health(); h.State() != source.Degraded {
		t.Fatalf("thin flow: %s, want DEGRADED", h.State())
	}
	at := e.clock.Add(time.Minute)
	if err := e.st.RecordSourceOutcome(e.ctx, source.Outcome{SellerID: e.seller, SourceID: e.src, Kind: source.Webhook,
		At: at, Failed: source.FailureThreshold, Error: "unreadable"}); err != nil {
		t.Fatal(err)
	}
	if h := e.health(); h.State() != source.Degraded || h.DegradedReason != "unreadable" {
		t.Fatalf("after failures: %s %q, want DEGRADED for the failures", h.State(), h.DegradedReason)
	}
	e.record(at.Add(time.Minute), 1)
	if h := e.health(); h.State() != source.OK {
		t.Errorf("a success after the failures: %s %q, want OK", h.State(), h.DegradedReason)
	}
}
