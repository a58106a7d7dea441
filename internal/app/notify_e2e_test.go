package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// receiver is a seller's back office: it verifies every request's
// signature as the docs tell receivers to, and answers the statuses it is
// told to, in order (then 200).
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	answer []int
	got    []notify.Payload
	bad    int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{t: t, answer: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := notify.Verify(r.secret, req.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		code := http.StatusOK
		if len(r.answer) > 0 {
			code, r.answer = r.answer[0], r.answer[1:]
		}
		if code == http.StatusOK {
			var p notify.Payload
			if err := json.Unmarshal(body, &p); err != nil {
				t.Errorf("notification body %s: %v", body, err)
			}
			r.got = append(r.got, p)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) badSignatures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}

func (r *receiver) payloads() []notify.Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Payload(nil), r.got...)
}

type deliveryJSON struct {
	ID       string `json:"id"`
	Event    string `json:"event"`
	Payload  string `json:"payload"`
	State    string `json:"state"`
	Attempts []struct {
		StatusCode *int    `json:"statusCode"`
		Error      *string `json:"error"`
		DurationMs int     `json:"durationMs"`
	} `json:"attempts"`
}

func deliveries(t *testing.T, env *apptest.Env, key string) []deliveryJSON {
	t.Helper()
	var out struct {
		NotificationDeliveries struct {
			Edges []struct{ Node deliveryJSON }
		}
	}
	env.MustGraphQL(t, key, `{ notificationDeliveries(first: 100) { edges { node {
		id event payload state attempts { statusCode error durationMs } } } } }`, nil, &out)
	var ds []deliveryJSON
	for _, e := range out.NotificationDeliveries.Edges {
		ds = append(ds, e.Node)
	}
	return ds
}

// TestNotificationsSignedAndRetried sends notifications to a real local
// receiver that verifies each signature: a flag raised is refused once
// with a 500 and delivered on the retry; a status change and the flag's
// resolution follow; every attempt is visible through the API and the
// retry in /metrics.
func TestNotificationsSignedAndRetried(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.NotifyRetrySchedule = []time.Duration{200 * time.Millisecond, 200 * time.Millisecond}
	})
	sellerID, key := env.Seller(t, "Acme")
	rcv := newReceiver(t, http.StatusInternalServerError)
	var set struct {
		SetNotificationEndpoint struct {
			Endpoint struct{ URL string }
			Secret   string
		}
	}
	env.MustGraphQL(t, key, `mutation($url: String!) { setNotificationEndpoint(url: $url) { endpoint { url } secret } }`,
		map[string]any{"url": rcv.srv.URL + "/shipwatch"}, &set)
	secret := set.SetNotificationEndpoint.Secret
	if !strings.HasPrefix(secret, "swsec_") || set.SetNotificationEndpoint.Endpoint.URL != rcv.srv.URL+"/shipwatch" {
		t.Fatalf("setNotificationEndpoint = %+v", set.SetNotificationEndpoint)
	}
	rcv.setSecret(secret)

	sh := create(t, env, key, map[string]any{"orderId": "N-1", "carrier": "ups", "trackingNumber": "1ZCXZR8J0130053085",
		"shippedAt": time.Now().Add(-50 * time.Hour).Format(time.RFC3339)})
	apptest.Eventually(t, 15*time.Second, "flag.raised delivered after a retry", func() bool { return len(rcv.payloads()) == 1 })
	p := rcv.payloads()[0]
	if p.Type != notify.EventFlagRaised || p.Flag == nil || p.Flag.Kind != "INACTIVE_TRACKING" || p.Shipment.ID != sh.ID ||
		p.Shipment.OrderID != "N-1" || p.SellerID != sellerID || p.ID == "" {
		t.Fatalf("payload = %+v; want flag.raised INACTIVE_TRACKING on N-1", p)
	}
	// The receiver has answered; the worker records the attempt right after.
	var ds []deliveryJSON
	apptest.Eventually(t, 15*time.Second, "the delivery recorded as DELIVERED", func() bool {
		ds = deliveries(t, env, key)
		return len(ds) == 1 && ds[0].State == "DELIVERED"
	})
	if len(ds) != 1 || ds[0].State != "DELIVERED" || len(ds[0].Attempts) != 2 ||
		*ds[0].Attempts[0].StatusCode != 500 || ds[0].Attempts[0].Error == nil || *ds[0].Attempts[1].StatusCode != 200 {
		t.Fatalf("deliveries = %+v; want one DELIVERED after a 500 then a 200", ds)
	}

	// A scan: the status changes and the flag clears; both are announced.
	if _, err := env.App.Monitor.RecordEvents(context.Background(), sellerID, []shipment.Event{{
		TrackingNumber: "1ZCXZR8J0130053085", OccurredAt: time.Now().Add(-time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceEasyPost,
	}}); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 15*time.Second, "status change and flag.resolved", func() bool { return len(rcv.payloads()) == 3 })
	types := map[string]notify.Payload{}
	for _, p := range rcv.payloads()[1:] {
		types[p.Type] = p
	}
	if c := types[notify.EventStatusChanged]; c.PreviousStatus != "PENDING" || c.Shipment.Status != "IN_TRANSIT" {
		t.Errorf("status change = %+v; want PENDING -> IN_TRANSIT", c)
	}
	if r := types[notify.EventFlagResolved]; r.Flag == nil || r.Flag.Resolution != "AUTO" || r.Flag.ResolvedAt == nil {
		t.Errorf("flag.resolved = %+v; want resolution AUTO", r)
	}
	if n := rcv.badSignatures(); n != 0 {
		t.Errorf("%d requests failed signature verification", n)
	}

	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`shipwatch_notification_attempts_total{outcome="retrying"} 1`,
		`shipwatch_jobs_worked_total{kind="shipwatch.notify.deliver",outcome="error"} 1`,
		`shipwatch_flags_raised_total{kind="INACTIVE_TRACKING"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestNotificationsGiveUp checks the end of the retry schedule: after the
// last attempt the delivery is FAILED and no more attempts are made.
func TestNotificationsGiveUp(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.NotifyRetrySchedule = []time.Duration{50 * time.Millisecond}
	})
	_, key := env.Seller(t, "Acme")
	rcv := newReceiver(t, 503, 503, 503)
	var set struct {
		SetNotificationEndpoint struct{ Secret string }
	}
	env.MustGraphQL(t, key, `mutation($url: String!) { setNotificationEndpoint(url: $url) { secret } }`,
		map[string]any{"url": rcv.srv.URL}, &set)
	rcv.setSecret(set.SetNotificationEndpoint.Secret)
	create(t, env, key, map[string]any{"orderId": "G-1", "trackingNumber": "1Z999AA10123456785"})
	apptest.Eventually(t, 15*time.Second, "the delivery to fail", func() bool {
		ds := deliveries(t, env, key)
		return len(ds) == 1 && ds[0].State == "FAILED"
	})
	if ds := deliveries(t, env, key); len(ds[0].Attempts) != 2 || *ds[0].Attempts[1].StatusCode != 503 {
		t.Errorf("attempts = %+v; want 2 (the first and one retry), both 503", ds[0].Attempts)
	}
}
