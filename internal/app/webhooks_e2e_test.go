package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
)

// The provider samples, byte for byte, and the signature vectors that go
// with them (see internal/webhook/testdata and shared/fixtures/webhooks).
const (
	easyPostVectorSecret    = "s\u00e9cret"
	easyPostVectorSignature = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
	afterShipLegacySecret   = "shipwatch-test-secret"
	afterShipLegacySig      = "3WRTFNcBWwapG8VrOVxKJLuxhT0fBK+Offeuneoos2s="
	afterShipTrimmedSecret  = "s\u00e9cret"
	afterShipTrimmedSig     = "3PqxDef81/RK2tf0LIXyifIyPpIYEPQ1/blO/d9xGvU="
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "webhook", "testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// easyPostVectorBody is the signed body of the official EasyPost vector:
// the fixture without its final newline.
func easyPostVectorBody(t *testing.T) []byte {
	b := fixture(t, "easypost-tracker-updated-fixture.json")
	return bytes.TrimSuffix(b, []byte("\n"))
}

type sourceJSON struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	WebhookURL string `json:"webhookUrl"`
	CreatedAt  string `json:"createdAt"`
}

func createSource(t *testing.T, env *apptest.Env, key, provider, secret string) sourceJSON {
	t.Helper()
	var out struct{ CreateTrackingSource sourceJSON }
	env.MustGraphQL(t, key, `mutation($p: TrackingProvider!, $s: String!) {
		createTrackingSource(provider: $p, secret: $s) { id provider webhookUrl createdAt } }`,
		map[string]any{"p": provider, "s": secret}, &out)
	return out.CreateTrackingSource
}

func signEasyPost(body []byte, secret string) (string, string) {
	mac := hmac.New(sha256.New, []byte(secret)) // the test secrets are already NFKD-stable
	mac.Write(body)
	return "X-Hmac-Signature", "hmac-sha256-hex=" + hex.EncodeToString(mac.Sum(nil))
}

func signAfterShip(body []byte, secret string) (string, string) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "aftership-hmac-sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type hookResponse struct {
	Status int
	Body   map[string]any
}

// post sends a webhook with the given headers (name, value pairs).
func post(t *testing.T, env *apptest.Env, path string, body []byte, headers ...string) hookResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := hookResponse{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", path, resp.StatusCode, raw)
	}
	return out
}

// count runs a count(*) query on the server's database.
func count(t *testing.T, env *apptest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := env.App.DB.GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitProcessed waits until every stored delivery has been processed.
func waitProcessed(t *testing.T, env *apptest.Env) {
	t.Helper()
	apptest.Eventually(t, 20*time.Second, "webhook deliveries processed", func() bool {
		return count(t, env, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	})
}

type eventJSON struct {
	Source              string  `json:"source"`
	OccurredAt          string  `json:"occurredAt"`
	Status              string  `json:"status"`
	Carrier             *string `json:"carrier"`
	CarrierStatus       *string `json:"carrierStatus"`
	ProviderStatus      *string `json:"providerStatus"`
	ProviderDetail      *string `json:"providerDetail"`
	Description         *string `json:"description"`
	EstimatedDeliveryAt *string `json:"estimatedDeliveryAt"`
	SignedBy            *string `json:"signedBy"`
	PhotoURL            *string `json:"photoUrl"`
	Location            *struct {
		City       *string `json:"city"`
		Region     *string `json:"region"`
		PostalCode *string `json:"postalCode"`
		Country    *string `json:"country"`
	} `json:"location"`
}

const eventFields = `source occurredAt status carrier carrierStatus providerStatus providerDetail description
	estimatedDeliveryAt signedBy photoUrl location { city region postalCode country }`

type timelineJSON struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	LastEventAt *string `json:"lastEventAt"`
	DeliveredAt *string `json:"deliveredAt"`
	FirstScanAt *string `json:"firstScanAt"`
	Estimated   *string `json:"estimatedDeliveryAt"`
	Events      struct {
		Edges []struct {
			Cursor string    `json:"cursor"`
			Node   eventJSON `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"events"`
}

func timeline(t *testing.T, env *apptest.Env, key, id string) timelineJSON {
	t.Helper()
	var out struct{ Shipment timelineJSON }
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { id status lastEventAt deliveredAt firstScanAt estimatedDeliveryAt
		events(first: 50) { edges { cursor node { `+eventFields+` } } pageInfo { hasNextPage endCursor } } } }`,
		map[string]any{"id": id}, &out)
	return out.Shipment
}

// TestWebhooksAcceptProviderSamples posts the providers' own samples with
// their official signatures, before any shipment carries their numbers,
// then creates the shipments: the events attach to them.
func TestWebhooksAcceptProviderSamples(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	ep := createSource(t, env, key, "EASYPOST", easyPostVectorSecret)
	legacy := createSource(t, env, key, "AFTERSHIP", afterShipLegacySecret)
	trimmed := createSource(t, env, key, "AFTERSHIP", afterShipTrimmedSecret)
	if ep.WebhookURL != "/webhooks/easypost/"+ep.ID || legacy.WebhookURL != "/webhooks/aftership/"+legacy.ID || ep.Provider != "EASYPOST" {
		t.Fatalf("sources = %+v, %+v; want webhook paths by provider", ep, legacy)
	}

	for _, tt := range []struct {
		name       string
		path       string
		body       []byte
		header     string
		signature  string
		wantEvents float64
	}{
		{"easypost vector", ep.WebhookURL, easyPostVectorBody(t), "X-Hmac-Signature", easyPostVectorSignature, 7},
		{"aftership legacy", legacy.WebhookURL, fixture(t, "aftership-tracking-update-legacy-full.json"), "aftership-hmac-sha256", afterShipLegacySig, 7},
		{"aftership trimmed", trimmed.WebhookURL, fixture(t, "aftership-tracking-update-trimmed-2026-07.json"), "aftership-hmac-sha256", afterShipTrimmedSig, 1},
	} {
		r := post(t, env, tt.path, tt.body, tt.header, tt.signature, "Cookie", "session=abc", "X-Api-Key", "hush")
		if r.Status != http.StatusOK || r.Body["status"] != "stored" || r.Body["events"] != tt.wantEvents {
			t.Errorf("%s: %d %v, want 200 stored with %v events", tt.name, r.Status, r.Body, tt.wantEvents)
		}
	}
	waitProcessed(t, env)

	// The raw body is kept byte for byte with its headers, minus credentials.
	var stored struct {
		Body    []byte `db:"body"`
		Headers []byte `db:"headers"`
		EventID string `db:"provider_event_id"`
		Events  int    `db:"events"`
	}
	if err := env.App.DB.Get(&stored, `SELECT body, headers, provider_event_id, events FROM webhook_deliveries WHERE source_id = $1`, ep.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored.Body, easyPostVectorBody(t)) || stored.EventID != "evt_1" || stored.Events != 7 {
		t.Errorf("stored delivery = %d bytes, event %q, %d events; want the body as signed, evt_1, 7", len(stored.Body), stored.EventID, stored.Events)
	}
	headers := string(stored.Headers)
	if !strings.Contains(headers, easyPostVectorSignature) || strings.Contains(headers, "session=abc") || strings.Contains(headers, "hush") {
		t.Errorf("stored headers = %s; want the signature kept and credentials dropped", headers)
	}

	// The shipments arrive after their events.
	usps := create(t, env, key, map[string]any{"orderId": "A-1", "trackingNumber": "9405 5169 0269 7649 3035 70", "carrier": "usps"})
	tl := timeline(t, env, key, usps.ID)
	if tl.Status != "IN_TRANSIT" || len(tl.Events.Edges) != 7 || tl.FirstScanAt == nil {
		t.Fatalf("USPS shipment = %s with %d events, first scan %v; want IN_TRANSIT with 7", tl.Status, len(tl.Events.Edges), tl.FirstScanAt)
	}
	first := tl.Events.Edges[0].Node
	if first.Source != "AFTERSHIP" || first.Status != "LABEL_CREATED" || first.ProviderStatus == nil || *first.ProviderStatus != "InfoReceived" {
		t.Errorf("first event = %+v; want the AfterShip InfoReceived checkpoint with its raw tag", first)
	}
	if tl.Estimated == nil || !strings.HasPrefix(*tl.Estimated, "2021-05-17") {
		t.Errorf("estimate = %v, want AfterShip's expected_delivery 2021-05-17", tl.Estimated)
	}
	fedex := create(t, env, key, map[string]any{"orderId": "A-2", "trackingNumber": "1"})
	tl = timeline(t, env, key, fedex.ID)
	last := tl.Events.Edges[len(tl.Events.Edges)-1].Node
	if tl.Status != "IN_TRANSIT" || len(tl.Events.Edges) != 7 || last.Source != "EASYPOST" || last.ProviderDetail == nil || last.Location == nil {
		t.Errorf("EasyPost shipment = %s with %d events, last %+v", tl.Status, len(tl.Events.Edges), last)
	}
}

// TestWebhooksRefuseWhatTheyCannotTrust checks every refusal: nothing
// refused is stored.
func TestWebhooksRefuseWhatTheyCannotTrust(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.MaxWebhookBytes = 8 << 10 })
	_, key := env.Seller(t, "Acme")
	ep := createSource(t, env, key, "EASYPOST", "ep-secret")
	as := createSource(t, env, key, "AFTERSHIP", "as-secret")
	gone := createSource(t, env, key, "EASYPOST", "gone-secret")
	var del struct{ DeleteTrackingSource sourceJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { deleteTrackingSource(id: $id) { id } }`, map[string]any{"id": gone.ID}, &del)

	guide := fixture(t, "easypost-tracking-guide-webhook.json")
	signed := func(body []byte) []string { h, v := signEasyPost(body, "ep-secret"); return []string{h, v} }
	big := append([]byte(`{"description":"tracker.updated","result":{"tracking_code":"X1","pad":"`), bytes.Repeat([]byte("x"), 9<<10)...)
	big = append(big, []byte(`"}}`)...)
	h, v := signEasyPost(guide, "gone-secret")
	tests := []struct {
		name    string
		path    string
		body    []byte
		headers []string
		want    int
		field   string
	}{
		{"no signature", ep.WebhookURL, guide, nil, http.StatusUnauthorized, ""},
		{"wrong secret", ep.WebhookURL, guide, func() []string { h, v := signEasyPost(guide, "other"); return []string{h, v} }(), http.StatusUnauthorized, ""},
		{"tampered body", ep.WebhookURL, append(bytes.Clone(guide), ' '), signed(guide), http.StatusUnauthorized, ""},
		{"easypost signature on aftership", as.WebhookURL, guide, signed(guide), http.StatusUnauthorized, ""},
		{"aftership signature on easypost", ep.WebhookURL, guide, func() []string { h, v := signAfterShip(guide, "ep-secret"); return []string{h, v} }(), http.StatusUnauthorized, ""},
		{"aftership wrong secret", as.WebhookURL, guide, func() []string { h, v := signAfterShip(guide, "ep-secret"); return []string{h, v} }(), http.StatusUnauthorized, ""},
		{"malformed json", ep.WebhookURL, []byte(`{"result": {`), signed([]byte(`{"result": {`)), http.StatusBadRequest, ""},
		{"wrong shape", ep.WebhookURL, []byte(`{"description":"tracker.updated","result":"x"}`), signed([]byte(`{"description":"tracker.updated","result":"x"}`)), http.StatusBadRequest, "result"},
		{"bad detail time", ep.WebhookURL, []byte(`{"result":{"tracking_code":"X1","tracking_details":[{"datetime":"soon"}]}}`),
			signed([]byte(`{"result":{"tracking_code":"X1","tracking_details":[{"datetime":"soon"}]}}`)), http.StatusBadRequest, "result.tracking_details[0].datetime"},
		{"number without digits", ep.WebhookURL, []byte(`{"result":{"tracking_code":"--","status":"in_transit","updated_at":"2026-01-01T00:00:00Z"}}`),
			signed([]byte(`{"result":{"tracking_code":"--","status":"in_transit","updated_at":"2026-01-01T00:00:00Z"}}`)), http.StatusBadRequest, "result.tracking_code"},
		{"oversized", ep.WebhookURL, big, signed(big), http.StatusRequestEntityTooLarge, ""},
		{"unknown source", "/webhooks/easypost/00000000-0000-4000-8000-000000000000", guide, signed(guide), http.StatusNotFound, ""},
		{"not an id", "/webhooks/easypost/not-a-uuid", guide, signed(guide), http.StatusNotFound, ""},
		{"other provider's path", "/webhooks/aftership/" + ep.ID, guide, signed(guide), http.StatusNotFound, ""},
		{"deleted source", gone.WebhookURL, guide, []string{h, v}, http.StatusNotFound, ""},
		{"unsupported event", ep.WebhookURL, []byte(`{"description":"batch.created","result":{}}`), signed([]byte(`{"description":"batch.created","result":{}}`)), http.StatusOK, ""},
	}
	for _, tt := range tests {
		r := post(t, env, tt.path, tt.body, tt.headers...)
		if r.Status != tt.want {
			t.Errorf("%s: status %d %v, want %d", tt.name, r.Status, r.Body, tt.want)
		}
		if tt.want >= 400 && r.Body["error"] == nil {
			t.Errorf("%s: body %v has no error reason", tt.name, r.Body)
		}
		if tt.field != "" && r.Body["field"] != tt.field {
			t.Errorf("%s: field = %v, want %s (%v)", tt.name, r.Body["field"], tt.field, r.Body["error"])
		}
	}
	if n := count(t, env, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Errorf("%d deliveries stored, want none of the refused or ignored ones", n)
	}
	if n := count(t, env, `SELECT count(*) FROM tracking_events`); n != 0 {
		t.Errorf("%d events stored, want none", n)
	}
}

// TestWebhooksDeduplicateAndOrder sends the tracking-guide sample (its
// DELIVERED detail is dated before later scans) twice, and a resend in
// AfterShip style: events are stored once and the latest by occurrence
// decides.
func TestWebhooksDeduplicateAndOrder(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	sh := create(t, env, key, map[string]any{"orderId": "G-1", "trackingNumber": "EZ4000000004"})
	ep := createSource(t, env, key, "EASYPOST", "ep-secret")
	guide := fixture(t, "easypost-tracking-guide-webhook.json")
	h, v := signEasyPost(guide, "ep-secret")
	for i := 0; i < 2; i++ {
		if r := post(t, env, ep.WebhookURL, guide, h, v); r.Status != http.StatusOK {
			t.Fatalf("post %d: %d %v", i, r.Status, r.Body)
		}
	}
	as := createSource(t, env, key, "AFTERSHIP", afterShipLegacySecret)
	legacy := fixture(t, "aftership-tracking-update-legacy-full.json")
	for i := 0; i < 3; i++ {
		if r := post(t, env, as.WebhookURL, legacy, "aftership-hmac-sha256", afterShipLegacySig); r.Status != http.StatusOK {
			t.Fatalf("post %d: %d %v", i, r.Status, r.Body)
		}
	}
	waitProcessed(t, env)
	if n := count(t, env, `SELECT count(*) FROM tracking_events`); n != 6+7 {
		t.Errorf("%d events stored, want 13: each once", n)
	}
	tl := timeline(t, env, key, sh.ID)
	if tl.Status != "OUT_FOR_DELIVERY" || tl.DeliveredAt != nil || tl.LastEventAt == nil || *tl.LastEventAt != "2014-11-24T08:10:00Z" {
		t.Errorf("shipment = %s delivered %v last %v; want OUT_FOR_DELIVERY: the DELIVERED is dated before later scans", tl.Status, tl.DeliveredAt, deref(tl.LastEventAt))
	}
	if len(tl.Events.Edges) != 6 || tl.Events.Edges[0].Node.Status != "DELIVERED" || tl.Events.Edges[0].Node.SignedBy == nil {
		t.Fatalf("timeline = %+v; want 6 events, the stale signed DELIVERED first", tl.Events.Edges)
	}

	// Pages: three at a time, oldest first, no overlap.
	var page struct{ Shipment timelineJSON }
	q := `query($id: ID!, $after: String) { shipment(id: $id) { events(first: 4, after: $after) {
		edges { cursor node { occurredAt } } pageInfo { hasNextPage endCursor } } } }`
	env.MustGraphQL(t, key, q, map[string]any{"id": sh.ID}, &page)
	if len(page.Shipment.Events.Edges) != 4 || !page.Shipment.Events.PageInfo.HasNextPage {
		t.Fatalf("first page = %+v", page.Shipment.Events)
	}
	env.MustGraphQL(t, key, q, map[string]any{"id": sh.ID, "after": page.Shipment.Events.PageInfo.EndCursor}, &page)
	if len(page.Shipment.Events.Edges) != 2 || page.Shipment.Events.PageInfo.HasNextPage ||
		page.Shipment.Events.Edges[1].Node.OccurredAt != "2014-11-24T08:10:00Z" {
		t.Errorf("second page = %+v", page.Shipment.Events)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
