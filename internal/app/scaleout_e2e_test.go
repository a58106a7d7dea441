package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestTwoReplicas runs two servers on one database, as two replicas
// behind a load balancer: a websocket subscriber on A receives the flag
// raised by a write through B (LISTEN/NOTIFY), the jobs the write caused
// run once (one flag, one notification delivered once, one attempt), and
// the periodic sweep runs once per period across both.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	fast := func(c *config.Config) {
		c.SweepInterval = time.Second
		c.NotifyRetrySchedule = []time.Duration{100 * time.Millisecond}
	}
	a := apptest.StartOn(t, url, fast)
	b := apptest.StartOn(t, url, fast)
	sellerID, key := a.Seller(t, "Acme")
	_, otherKey := a.Seller(t, "Other")

	rcv := newReceiver(t)
	var set struct {
		SetNotificationEndpoint struct{ Secret string }
	}
	a.MustGraphQL(t, key, `mutation($url: String!) { setNotificationEndpoint(url: $url) { secret } }`,
		map[string]any{"url": rcv.srv.URL}, &set)
	rcv.setSecret(set.SetNotificationEndpoint.Secret)

	sub := a.Subscribe(t, key, `subscription { flagRaised { id kind shipment { orderId } } }`)
	otherSub := a.Subscribe(t, otherKey, `subscription { flagRaised { id kind } }`)
	updates := a.Subscribe(t, key, `subscription { shipmentUpdated { orderId status } }`)
	apptest.Eventually(t, 10*time.Second, "the subscriptions to be listening on A", func() bool { return a.App.PubSub.Subscribers() == 3 })

	create(t, b, key, map[string]any{"orderId": "R-1", "trackingNumber": "1Z999AA10123456785"})
	var ev struct {
		FlagRaised struct {
			ID       string
			Kind     string
			Shipment struct{ OrderID string }
		}
	}
	sub.Next(t, 15*time.Second, &ev)
	if ev.FlagRaised.Kind != "INVALID_TRACKING" || ev.FlagRaised.Shipment.OrderID != "R-1" {
		t.Errorf("flagRaised on A = %+v; want INVALID_TRACKING on R-1 written through B", ev.FlagRaised)
	}
	otherSub.Nothing(t, 300*time.Millisecond)

	// A carrier event processed by B reaches A's shipmentUpdated.
	if _, err := b.App.Monitor.RecordEvents(context.Background(), sellerID, []shipment.Event{{
		TrackingNumber: "1Z999AA10123456785", OccurredAt: time.Now(), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice,
	}}); err != nil {
		t.Fatal(err)
	}
	var up struct {
		ShipmentUpdated struct{ OrderID, Status string }
	}
	updates.Next(t, 15*time.Second, &up)
	if up.ShipmentUpdated.OrderID != "R-1" || up.ShipmentUpdated.Status != "IN_TRANSIT" {
		t.Errorf("shipmentUpdated on A = %+v; want R-1 IN_TRANSIT", up.ShipmentUpdated)
	}

	// Jobs ran once: one flag (INVALID_TRACKING, resolved AUTO by the scan)
	// and its notifications (raised, status change, resolved), each
	// delivered once in one attempt.
	apptest.Eventually(t, 15*time.Second, "the notifications", func() bool { return len(rcv.payloads()) == 3 })
	if p := flags(t, b, key, nil); p.TotalCount != 1 {
		t.Errorf("flags = %d, want 1", p.TotalCount)
	}

	// The sweep: every period once, whichever replica leads.
	apptest.Eventually(t, 30*time.Second, "three sweeps", func() bool {
		sweeps, err := a.App.Store.Sweeps(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, s := range sweeps {
			if s.FinishedAt != nil {
				done++
			}
		}
		return done >= 3
	})
	var dup []struct {
		Period string `db:"period"`
		N      int    `db:"n"`
	}
	if err := a.App.DB.SelectContext(context.Background(), &dup, `SELECT args->>'period' AS period, count(*) AS n FROM river_job
		WHERE kind = 'shipwatch.monitor.sweep' GROUP BY 1 HAVING count(*) > 1`); err != nil {
		t.Fatal(err)
	}
	if len(dup) > 0 {
		t.Errorf("sweep periods enqueued more than once: %+v", dup)
	}
	var attempts []int
	if err := a.App.DB.SelectContext(context.Background(), &attempts, `SELECT attempt FROM river_job WHERE kind IN ('shipwatch.monitor.check', 'shipwatch.notify.deliver', 'shipwatch.monitor.sweep') AND state = 'completed' AND attempt <> 1`); err != nil {
		t.Fatal(err)
	}
	if len(attempts) > 0 {
		t.Errorf("jobs worked more than once: attempts %v", attempts)
	}
	seen := map[string]bool{}
	for _, p := range rcv.payloads() {
		if seen[p.ID] {
			t.Errorf("notification %s (%s) received twice", p.ID, p.Type)
		}
		seen[p.ID] = true
	}
	if got := rcv.payloads(); len(got) != 3 {
		t.Errorf("receiver got %d notifications, want exactly 3", len(got))
	}
	for _, env := range []*apptest.Env{a, b} {
		resp, err := http.Get(env.URL + "/readyz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("/readyz = %v, %v; want 200 on both replicas", resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
}
