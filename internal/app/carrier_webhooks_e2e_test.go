package app_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/track17/track17test"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

const seventeenKey = "17track-security-key"

type carrierSourceJSON struct {
	ID            string  `json:"id"`
	Provider      string  `json:"provider"`
	WebhookURL    string  `json:"webhookUrl"`
	AutoRegister  bool    `json:"autoRegister"`
	LastError     *string `json:"lastError"`
	LastSuccessAt *string `json:"lastSuccessAt"`
	Registrations *struct {
		Pending, Registered, Rejected, Stopped int
		RejectedNumbers                        []struct {
			TrackingNumber string
			Code           *int
			Message        *string
		}
	} `json:"registrations"`
}

const carrierSourceFields = `id provider webhookUrl autoRegister lastError lastSuccessAt
	registrations { pending registered rejected stopped rejectedNumbers(first: 10) { trackingNumber code message } }`

func createCarrierSource(t *testing.T, env *apptest.Env, key string, vars map[string]any) carrierSourceJSON {
	t.Helper()
	var out struct{ CreateTrackingSource carrierSourceJSON }
	env.MustGraphQL(t, key, `mutation($p: TrackingProvider!, $s: String, $a: Boolean) {
		createTrackingSource(provider: $p, secret: $s, autoRegister: $a) { `+carrierSourceFields+` } }`, vars, &out)
	return out.CreateTrackingSource
}

func carrierSources(t *testing.T, env *apptest.Env, key string) map[string]carrierSourceJSON {
	t.Helper()
	var out struct {
		TrackingSources struct {
			Edges []struct{ Node carrierSourceJSON }
		}
	}
	env.MustGraphQL(t, key, `{ trackingSources(first: 10) { edges { node { `+carrierSourceFields+` } } } }`, nil, &out)
	m := map[string]carrierSourceJSON{}
	for _, e := range out.TrackingSources.Edges {
		m[e.Node.Provider] = e.Node
	}
	return m
}

type lastSourceJSON struct {
	ID                  string  `json:"id"`
	Status              string  `json:"status"`
	LastEventSource     *string `json:"lastEventSource"`
	EstimatedDeliveryAt *string `json:"estimatedDeliveryAt"`
	Events              struct{ Edges []struct{ Node eventJSON } }
}

func lastSource(t *testing.T, env *apptest.Env, key, id string) lastSourceJSON {
	t.Helper()
	var out struct{ Shipment lastSourceJSON }
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { id status lastEventSource estimatedDeliveryAt
		events(first: 50) { edges { node { `+eventFields+` } } } } }`, map[string]any{"id": id}, &out)
	return out.Shipment
}

// TestSeventeenTrackAndShippoWebhooks posts 17TRACK and Shippo webhooks
// to the real server: refusals store nothing, events before their
// shipment attach to it, resends are stored once, an older event does not
// move the status back, and each shipment names the source of its last
// event.
func TestSeventeenTrackAndShippoWebhooks(t *testing.T) {
	t.Parallel()
	fake := track17test.New(seventeenKey, nil)
	defer fake.Close()
	env := apptest.Start(t, func(c *config.Config) { c.SeventeenTrackURL = fake.URL() })
	_, key := env.Seller(t, "Acme")
	st := createCarrierSource(t, env, key, map[string]any{"p": "SEVENTEEN_TRACK", "s": seventeenKey})
	sh := createCarrierSource(t, env, key, map[string]any{"p": "SHIPPO"})
	if st.WebhookURL != "/webhooks/17track/"+st.ID || st.Registrations == nil {
		t.Fatalf("17TRACK source = %+v", st)
	}
	u, err := url.Parse(sh.WebhookURL)
	if err != nil || u.Path != "/webhooks/shippo/"+sh.ID || len(u.Query().Get("token")) < 40 || sh.Registrations != nil {
		t.Fatalf("Shippo source URL = %q, want the path with a token", sh.WebhookURL)
	}
	if listed := carrierSources(t, env, key)["SHIPPO"]; strings.Contains(listed.WebhookURL, u.Query().Get("token")) {
		t.Errorf("the listed Shippo URL %q shows the token again", listed.WebhookURL)
	}

	stBody := bytes.TrimSuffix(fixture(t, "17track-tracking-updated.json"), []byte("\n"))
	sign := func(b []byte) []string { return []string{"sign", webhook.SeventeenTrackSign(b, seventeenKey)} }
	shBody := fixture(t, "shippo-track-updated.json")
	badJSON := []byte(`{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"tracking":{"providers":[{"events":[{"time_utc":"soon"}]}]}}}}`)
	refusals := []struct {
		name    string
		path    string
		body    []byte
		headers []string
		want    int
		field   string
	}{
		{"17track no sign", st.WebhookURL, stBody, nil, http.StatusUnauthorized, ""},
		{"17track sign of another body", st.WebhookURL, append(bytes.Clone(stBody), ' '), sign(stBody), http.StatusUnauthorized, ""},
		{"17track HMAC instead of sign", st.WebhookURL, stBody, []string{"sign", hexHMACOf(stBody, seventeenKey)}, http.StatusUnauthorized, ""},
		{"17track bad JSON", st.WebhookURL, badJSON, sign(badJSON), http.StatusBadRequest, "data.track_info.tracking.providers[0].events[0].time_utc"},
		{"17track malformed", st.WebhookURL, []byte(`{"event":`), sign([]byte(`{"event":`)), http.StatusBadRequest, ""},
		{"shippo no token", "/webhooks/shippo/" + sh.ID, shBody, nil, http.StatusUnauthorized, ""},
		{"shippo wrong token", "/webhooks/shippo/" + sh.ID + "?token=guess", shBody, nil, http.StatusUnauthorized, ""},
		{"shippo token of another path", st.WebhookURL + "?" + u.RawQuery, shBody, nil, http.StatusUnauthorized, ""},
		{"shippo bad JSON", sh.WebhookURL, []byte(`{"event":"track_updated","data":{"tracking_number":7}}`), nil, http.StatusBadRequest, "data.tracking_number"},
	}
	for _, tt := range refusals {
		r := post(t, env, tt.path, tt.body, tt.headers...)
		if r.Status != tt.want || r.Body["error"] == nil {
			t.Errorf("%s: %d %v, want %d with a reason", tt.name, r.Status, r.Body, tt.want)
		}
		if tt.field != "" && r.Body["field"] != tt.field {
			t.Errorf("%s: field %v, want %s", tt.name, r.Body["field"], tt.field)
		}
	}
	if n := count(t, env, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries stored by refused webhooks, want none", n)
	}

	// Before any shipment, twice each: Shippo resends are not idempotent.
	for i := 0; i < 2; i++ {
		if r := post(t, env, st.WebhookURL, stBody, sign(stBody)...); r.Status != http.StatusOK || r.Body["events"] != float64(5) {
			t.Fatalf("17TRACK push: %d %v", r.Status, r.Body)
		}
		if r := post(t, env, sh.WebhookURL, shBody); r.Status != http.StatusOK || r.Body["status"] != "stored" {
			t.Fatalf("Shippo webhook: %d %v", r.Status, r.Body)
		}
	}
	// An older Shippo event, arriving last.
	old := []byte(`{"event":"track_updated","data":{"carrier":"usps","tracking_number":"9205590164917312751089","tracking_status":` +
		`{"status":"PRE_TRANSIT","status_details":"Label printed","status_date":"2026-11-15T10:00:00Z"},"tracking_history":[]}}`)
	if r := post(t, env, sh.WebhookURL, old); r.Status != http.StatusOK {
		t.Fatalf("old Shippo event: %d %v", r.Status, r.Body)
	}
	waitProcessed(t, env)
	if n := count(t, env, `SELECT count(*) FROM tracking_events`); n != 5+4+1 {
		t.Errorf("%d events stored, want 10 (5 from 17TRACK, 4 from Shippo, 1 older), each once", n)
	}

	usps := create(t, env, key, map[string]any{"orderId": "S-1", "trackingNumber": "9400111899223197428490", "carrier": "usps"})
	got := lastSource(t, env, key, usps.ID)
	if got.Status != "DELIVERED" || got.LastEventSource == nil || *got.LastEventSource != "SEVENTEEN_TRACK" || len(got.Events.Edges) != 5 {
		t.Errorf("17TRACK shipment = %s from %v with %d events, want DELIVERED from SEVENTEEN_TRACK with 5", got.Status, got.LastEventSource, len(got.Events.Edges))
	}
	if e := got.Events.Edges[0].Node; e.Source != "SEVENTEEN_TRACK" || e.Status != "LABEL_CREATED" || e.ProviderDetail == nil || *e.ProviderDetail != "InfoReceived" {
		t.Errorf("first 17TRACK event = %+v", e)
	}
	shippo := create(t, env, key, map[string]any{"orderId": "S-2", "trackingNumber": "9205590164917312751089", "carrier": "usps"})
	got = lastSource(t, env, key, shippo.ID)
	if got.Status != "OUT_FOR_DELIVERY" || got.LastEventSource == nil || *got.LastEventSource != "SHIPPO" || len(got.Events.Edges) != 5 {
		t.Errorf("Shippo shipment = %s from %v with %d events, want OUT_FOR_DELIVERY from SHIPPO with 5", got.Status, got.LastEventSource, len(got.Events.Edges))
	}
	if got.EstimatedDeliveryAt == nil || !strings.HasPrefix(*got.EstimatedDeliveryAt, "2026-11-22T12:00:00") {
		t.Errorf("Shippo shipment estimate = %v, want its eta 2026-11-22T12:00:00Z", got.EstimatedDeliveryAt)
	}

	// TRACKING_STOPPED is stored and shows on the source.
	stopped := bytes.TrimSuffix(fixture(t, "17track-tracking-stopped.json"), []byte("\n"))
	if r := post(t, env, st.WebhookURL, stopped, sign(stopped)...); r.Status != http.StatusOK || r.Body["events"] != float64(0) {
		t.Fatalf("TRACKING_STOPPED: %d %v", r.Status, r.Body)
	}
	waitProcessed(t, env)
	if src := carrierSources(t, env, key)["SEVENTEEN_TRACK"]; src.Registrations == nil || src.Registrations.Stopped != 1 {
		t.Errorf("17TRACK source after TRACKING_STOPPED = %+v, want 1 stopped", src.Registrations)
	}
	if got := lastSource(t, env, key, usps.ID); got.Status != "DELIVERED" {
		t.Errorf("TRACKING_STOPPED moved the shipment to %s", got.Status)
	}
}

// hexHMACOf is the HMAC-SHA256 of body under key, in hex: what a
// receiver that took 17TRACK's sign for an HMAC would expect.
func hexHMACOf(body []byte, key string) string {
	_, v := signEasyPost(body, key)
	return strings.TrimPrefix(v, "hmac-sha256-hex=")
}

// TestSeventeenTrackRegistersUploads: with autoRegister, shipments created
// one by one, in a batch and from a CSV file reach the fake 17TRACK
// through the River job; a spent quota and a refused number are shown on
// the source.
func TestSeventeenTrackRegistersUploads(t *testing.T) {
	t.Parallel()
	fake := track17test.New(seventeenKey, nil)
	defer fake.Close()
	env := apptest.Start(t, func(c *config.Config) { c.SeventeenTrackURL = fake.URL() })
	_, key := env.Seller(t, "Acme")
	src := createCarrierSource(t, env, key, map[string]any{"p": "SEVENTEEN_TRACK", "s": seventeenKey, "a": true})
	if !src.AutoRegister {
		t.Fatalf("source = %+v, want autoRegister", src)
	}
	fake.Invalid("RJ0000000001")
	create(t, env, key, map[string]any{"orderId": "R-1", "trackingNumber": "RG0000000001"})
	var batch struct{ CreateShipments struct{ Created int } }
	env.MustGraphQL(t, key, `mutation { createShipments(input: [{orderId: "R-2", trackingNumber: "RG0000000002"},
		{orderId: "R-3", trackingNumber: "RJ0000000001"}]) { created } }`, nil, &batch)
	if batch.CreateShipments.Created != 2 {
		t.Fatalf("createShipments created %d, want 2", batch.CreateShipments.Created)
	}
	im := uploadFile(t, env, key, "orders.csv", []byte("order_id,tracking_number\nR-4,RG0000000004\nR-5,RG0000000005\n"))
	waitImport(t, env, key, im.ID, 30*time.Second)
	apptest.Eventually(t, 20*time.Second, "numbers registered with the fake 17TRACK", func() bool {
		s := carrierSources(t, env, key)["SEVENTEEN_TRACK"]
		return s.Registrations != nil && s.Registrations.Registered == 4 && s.Registrations.Rejected == 1
	})
	for _, n := range []string{"RG0000000001", "RG0000000002", "RG0000000004", "RG0000000005"} {
		if !fake.Registered(n) {
			t.Errorf("%s not registered at 17TRACK", n)
		}
	}
	s := carrierSources(t, env, key)["SEVENTEEN_TRACK"]
	if r := s.Registrations.RejectedNumbers; len(r) != 1 || r[0].TrackingNumber != "RJ0000000001" || r[0].Code == nil || r[0].Message == nil {
		t.Errorf("rejectedNumbers = %+v, want RJ0000000001 with 17TRACK's code and reason", r)
	}
	for _, c := range fake.Calls() {
		if len(c.Numbers) > 40 {
			t.Errorf("a register call carried %d numbers", len(c.Numbers))
		}
	}

	fake.SetQuota(0)
	create(t, env, key, map[string]any{"orderId": "R-6", "trackingNumber": "RG0000000006"})
	apptest.Eventually(t, 20*time.Second, "the spent quota shown on the source", func() bool {
		s := carrierSources(t, env, key)["SEVENTEEN_TRACK"]
		return s.LastError != nil && strings.Contains(*s.LastError, "quota") && s.Registrations.Pending == 1
	})

	// Turning registration off: new uploads are not queued.
	var upd struct{ UpdateTrackingSource carrierSourceJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { updateTrackingSource(id: $id, autoRegister: false) { autoRegister } }`,
		map[string]any{"id": src.ID}, &upd)
	create(t, env, key, map[string]any{"orderId": "R-7", "trackingNumber": "RG0000000007"})
	if n := count(t, env, `SELECT count(*) FROM tracking_registrations WHERE normalized_tracking_number = 'RG0000000007'`); upd.UpdateTrackingSource.AutoRegister || n != 0 {
		t.Errorf("after turning autoRegister off: %v, %d rows queued", upd.UpdateTrackingSource.AutoRegister, n)
	}
}

// TestShippoHMAC: a Shippo source with an HMAC secret (set at creation or
// later) needs both its URL token and a Shippo-Auth-Signature over the
// raw body from within five minutes; removing the secret goes back to the
// token alone. Refused webhooks store nothing.
func TestShippoHMAC(t *testing.T) {
	t.Parallel()
	const secret = "shippo-hmac-secret"
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	var created struct {
		CreateTrackingSource struct {
			ID, WebhookURL string
			HasSecret      bool
		}
	}
	env.MustGraphQL(t, key, `mutation($s: String) { createTrackingSource(provider: SHIPPO, secret: $s) { id webhookUrl hasSecret } }`,
		map[string]any{"s": secret}, &created)
	src := created.CreateTrackingSource
	if !src.HasSecret {
		t.Fatalf("Shippo source created with a secret: hasSecret false")
	}
	body := fixture(t, "shippo-track-updated.json")
	now := time.Now().Unix()
	sig := func(b []byte, s string, ts int64) []string {
		return []string{webhook.ShippoSignatureHeader, webhook.ShippoSign(b, s, ts)}
	}
	u, err := url.Parse(src.WebhookURL)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(body, []byte("TRANSIT"), []byte("DELIVERED"), 1)
	refusals := []struct {
		name    string
		path    string
		body    []byte
		headers []string
		reason  string
	}{
		{"token without the signature", src.WebhookURL, body, nil, "missing signature"},
		{"signature without the token", u.Path, body, sig(body, secret, now), "missing signature"},
		{"wrong secret", src.WebhookURL, body, sig(body, "another-secret", now), "does not match"},
		{"tampered body", src.WebhookURL, tampered, sig(body, secret, now), "does not match"},
		{"stale timestamp", src.WebhookURL, body, sig(body, secret, now-600), "timestamp"},
		{"malformed header", src.WebhookURL, body, []string{webhook.ShippoSignatureHeader, "v1=00"}, "does not match"},
	}
	for _, tt := range refusals {
		r := post(t, env, tt.path, tt.body, tt.headers...)
		reason, _ := r.Body["error"].(string)
		if r.Status != http.StatusUnauthorized || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s: %d %v, want 401 saying %q", tt.name, r.Status, r.Body, tt.reason)
		}
	}
	if n := count(t, env, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries stored by refused webhooks, want none", n)
	}
	// Signed, twice within the window: a replay is stored but its events
	// are deduplicated.
	for i := 0; i < 2; i++ {
		if r := post(t, env, src.WebhookURL, body, sig(body, secret, now)...); r.Status != http.StatusOK || r.Body["status"] != "stored" {
			t.Fatalf("signed Shippo webhook: %d %v", r.Status, r.Body)
		}
	}
	waitProcessed(t, env)
	if n := count(t, env, `SELECT count(*) FROM tracking_events`); n != 4 {
		t.Errorf("%d events after a signed webhook and its replay, want the fixture's 4 once", n)
	}
	stored := count(t, env, `SELECT count(*) FROM webhook_deliveries WHERE headers ? 'Shippo-Auth-Signature'`)
	if stored != 2 {
		t.Errorf("%d deliveries kept the signature header, want 2", stored)
	}

	// Removing the secret: the token alone is enough again.
	var upd struct{ UpdateTrackingSource struct{ HasSecret bool } }
	env.MustGraphQL(t, key, `mutation($id: ID!) { updateTrackingSource(id: $id, secret: "") { hasSecret } }`, map[string]any{"id": src.ID}, &upd)
	if upd.UpdateTrackingSource.HasSecret {
		t.Error("after removing the secret: hasSecret true")
	}
	if r := post(t, env, src.WebhookURL, body); r.Status != http.StatusOK {
		t.Errorf("token alone after removing the secret: %d %v", r.Status, r.Body)
	}
	// Setting one later, as when Shippo's setup completes.
	env.MustGraphQL(t, key, `mutation($id: ID!, $s: String) { updateTrackingSource(id: $id, secret: $s) { hasSecret } }`,
		map[string]any{"id": src.ID, "s": "rotated-secret"}, &upd)
	if r := post(t, env, src.WebhookURL, body); r.Status != http.StatusUnauthorized || !upd.UpdateTrackingSource.HasSecret {
		t.Errorf("token alone after setting a secret: %d, hasSecret %v; want 401, true", r.Status, upd.UpdateTrackingSource.HasSecret)
	}
	if r := post(t, env, src.WebhookURL, body, sig(body, secret, now)...); r.Status != http.StatusUnauthorized {
		t.Errorf("signed with the old secret: %d, want 401", r.Status)
	}
	if r := post(t, env, src.WebhookURL, body, sig(body, "rotated-secret", now)...); r.Status != http.StatusOK {
		t.Errorf("signed with the new secret: %d %v", r.Status, r.Body)
	}
	// Bad input names the field.
	for _, q := range []string{
		`mutation($id: ID!) { updateTrackingSource(id: $id, autoRegister: true) { id } }`,
	} {
		if r := env.GraphQL(t, key, q, map[string]any{"id": src.ID}); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "autoRegister") {
			t.Errorf("%s: %+v, want an error naming autoRegister", q, r.Errors)
		}
	}
	var easy struct{ CreateTrackingSource struct{ ID string } }
	env.MustGraphQL(t, key, `mutation { createTrackingSource(provider: EASYPOST, secret: "whsec") { id } }`, nil, &easy)
	if r := env.GraphQL(t, key, `mutation($id: ID!) { updateTrackingSource(id: $id, secret: "") { id } }`,
		map[string]any{"id": easy.CreateTrackingSource.ID}); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "secret") {
		t.Errorf("removing an EasyPost secret: %+v, want an error naming secret", r.Errors)
	}
}
