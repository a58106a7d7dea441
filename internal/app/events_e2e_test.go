package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

const recordEvents = `mutation($in: [TrackingEventInput!]!) { recordTrackingEvents(input: $in) {
	recorded duplicates errors { index field code message } shipments { id status deliveredAt } } }`

type recordJSON struct {
	Recorded   int `json:"recorded"`
	Duplicates int `json:"duplicates"`
	Errors     []struct {
		Index   int     `json:"index"`
		Field   *string `json:"field"`
		Code    string  `json:"code"`
		Message string  `json:"message"`
	} `json:"errors"`
	Shipments []struct {
		ID          string  `json:"id"`
		Status      string  `json:"status"`
		DeliveredAt *string `json:"deliveredAt"`
	} `json:"shipments"`
}

func record(t *testing.T, env *apptest.Env, key string, items ...map[string]any) recordJSON {
	t.Helper()
	var out struct{ RecordTrackingEvents recordJSON }
	env.MustGraphQL(t, key, recordEvents, map[string]any{"in": items}, &out)
	return out.RecordTrackingEvents
}

// TestRecordTrackingEvents covers back-office events: by shipment id or by
// number, proof of delivery, resends, and an error per bad item.
func TestRecordTrackingEvents(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	ups := create(t, env, key, map[string]any{"orderId": "B-1", "trackingNumber": "1Z999AA10123456784", "carrier": "ups"})
	bare := create(t, env, key, map[string]any{"orderId": "B-2"})
	future := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)

	items := []map[string]any{
		{"shipmentId": ups.ID, "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT", "carrierStatus": "AR",
			"description": "Arrival Scan", "location": map[string]any{"city": "Louisville", "region": "KY", "country": "us"}},
		{"trackingNumber": "1z999aa1 0123456784", "carrier": "UPS", "occurredAt": "2026-11-03T15:04:00Z", "status": "DELIVERED",
			"signedBy": "J. Doe", "photoUrl": "https://example.com/pod/1.jpg", "estimatedDeliveryAt": "2026-11-03T00:00:00Z"},
		{"occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"trackingNumber": "X1", "carrier": "Pony Express", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"trackingNumber": "X1", "occurredAt": future, "status": "DELIVERED"},
		{"shipmentId": "00000000-0000-4000-8000-000000000000", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"shipmentId": "not-a-uuid", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"shipmentId": bare.ID, "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"shipmentId": ups.ID, "trackingNumber": "9400100000000000000000", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		{"trackingNumber": "X1", "occurredAt": "2026-11-02T09:00:00Z", "status": "DELIVERED", "photoUrl": "javascript:alert(1)"},
		{"trackingNumber": "X1", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT", "location": map[string]any{"country": "United States"}},
		{"trackingNumber": "---", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"},
		// A number no shipment carries yet: kept, attached later.
		{"trackingNumber": "LATER-123", "occurredAt": "2026-11-02T09:00:00Z", "status": "EXCEPTION", "description": "Damaged"},
	}
	res := record(t, env, key, items...)
	type want struct {
		index       int
		field, code string
	}
	wants := []want{
		{2, "trackingNumber", "BAD_USER_INPUT"}, {3, "carrier", "BAD_USER_INPUT"}, {4, "occurredAt", "BAD_USER_INPUT"},
		{5, "shipmentId", "NOT_FOUND"}, {6, "shipmentId", "NOT_FOUND"}, {7, "shipmentId", "BAD_USER_INPUT"},
		{8, "trackingNumber", "BAD_USER_INPUT"}, {9, "photoUrl", "BAD_USER_INPUT"}, {10, "location.country", "BAD_USER_INPUT"},
		{11, "trackingNumber", "BAD_USER_INPUT"},
	}
	if len(res.Errors) != len(wants) {
		t.Fatalf("errors = %+v, want %d", res.Errors, len(wants))
	}
	for i, w := range wants {
		e := res.Errors[i]
		if e.Index != w.index || e.Field == nil || *e.Field != w.field || e.Code != w.code || !strings.HasPrefix(e.Message, "input[") {
			t.Errorf("error %d = %+v %v, want index %d field %s code %s", i, e, deref(e.Field), w.index, w.field, w.code)
		}
	}
	if res.Recorded != 3 || res.Duplicates != 0 {
		t.Errorf("recorded %d duplicates %d, want 3 and 0", res.Recorded, res.Duplicates)
	}
	if len(res.Shipments) != 1 || res.Shipments[0].ID != ups.ID || res.Shipments[0].Status != "DELIVERED" || res.Shipments[0].DeliveredAt == nil {
		t.Errorf("shipments = %+v, want the UPS shipment delivered", res.Shipments)
	}

	// A resend changes nothing.
	again := record(t, env, key, items[0], items[1])
	if again.Recorded != 0 || again.Duplicates != 2 || len(again.Errors) != 0 {
		t.Errorf("resend = %+v, want 2 duplicates", again)
	}

	tl := timeline(t, env, key, ups.ID)
	if len(tl.Events.Edges) != 2 {
		t.Fatalf("timeline has %d events, want 2", len(tl.Events.Edges))
	}
	arrival, delivered := tl.Events.Edges[0].Node, tl.Events.Edges[1].Node
	if arrival.Source != "BACK_OFFICE" || deref(arrival.CarrierStatus) != "AR" || arrival.Location == nil ||
		deref(arrival.Location.Country) != "US" || deref(arrival.Carrier) != "ups" {
		t.Errorf("arrival = %+v", arrival)
	}
	if deref(delivered.SignedBy) != "J. Doe" || deref(delivered.PhotoURL) != "https://example.com/pod/1.jpg" ||
		deref(delivered.EstimatedDeliveryAt) != "2026-11-03T00:00:00Z" || delivered.ProviderStatus != nil {
		t.Errorf("delivered = %+v, want proof of delivery and no provider status", delivered)
	}

	later := create(t, env, key, map[string]any{"orderId": "B-3", "trackingNumber": "later 123"})
	if tl := timeline(t, env, key, later.ID); tl.Status != "EXCEPTION" || len(tl.Events.Edges) != 1 {
		t.Errorf("later shipment = %s with %d events, want the earlier EXCEPTION attached", tl.Status, len(tl.Events.Edges))
	}

	// More than 1,000 items is refused as a whole.
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"trackingNumber": "X1", "occurredAt": "2026-11-02T09:00:00Z", "status": "IN_TRANSIT"}
	}
	r := env.GraphQL(t, key, recordEvents, map[string]any{"in": many})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("1,001 items: errors = %+v, want BAD_USER_INPUT", r.Errors)
	}
}

// TestEventsTenancy checks that seller B can neither see nor use seller
// A's tracking sources, events or shipments.
func TestEventsTenancy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	const number = "EZ4000000004"
	a := create(t, env, keyA, map[string]any{"orderId": "A-1", "trackingNumber": number})
	srcA := createSource(t, env, keyA, "EASYPOST", "secret-of-a")
	srcB := createSource(t, env, keyB, "EASYPOST", "secret-of-b")
	guide := fixture(t, "easypost-tracking-guide-webhook.json")

	// B's secret on A's source is a bad signature; A's works.
	h, v := signEasyPost(guide, "secret-of-b")
	if r := post(t, env, srcA.WebhookURL, guide, h, v); r.Status != http.StatusUnauthorized {
		t.Errorf("B's signature on A's source: %d, want 401", r.Status)
	}
	h, v = signEasyPost(guide, "secret-of-a")
	if r := post(t, env, srcA.WebhookURL, guide, h, v); r.Status != http.StatusOK {
		t.Fatalf("A's webhook: %d %v", r.Status, r.Body)
	}
	record(t, env, keyA, map[string]any{"shipmentId": a.ID, "occurredAt": "2014-11-25T10:00:00Z", "status": "DELIVERED"})
	waitProcessed(t, env)

	var list struct {
		TrackingSources struct {
			Edges []struct{ Node sourceJSON } `json:"edges"`
		} `json:"trackingSources"`
	}
	env.MustGraphQL(t, keyB, `{ trackingSources { edges { node { id } } } }`, nil, &list)
	if len(list.TrackingSources.Edges) != 1 || list.TrackingSources.Edges[0].Node.ID != srcB.ID {
		t.Errorf("B lists sources %+v, want only its own", list.TrackingSources.Edges)
	}
	r := env.GraphQL(t, keyB, `mutation($id: ID!) { deleteTrackingSource(id: $id) { id } }`, map[string]any{"id": srcA.ID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("B deletes A's source: %+v, want NOT_FOUND", r.Errors)
	}
	res := record(t, env, keyB, map[string]any{"shipmentId": a.ID, "occurredAt": "2014-11-26T10:00:00Z", "status": "RETURNED_TO_SENDER"})
	if len(res.Errors) != 1 || res.Errors[0].Code != "NOT_FOUND" || res.Recorded != 0 {
		t.Errorf("B records on A's shipment: %+v, want NOT_FOUND", res)
	}
	if r := env.GraphQL(t, keyB, `query($id: ID!) { shipment(id: $id) { events { edges { node { status } } } } }`, map[string]any{"id": a.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("B reads A's timeline: %+v, want NOT_FOUND", r.Errors)
	}

	// B's own shipment with the same number sees none of A's events.
	b := create(t, env, keyB, map[string]any{"orderId": "B-1", "trackingNumber": number})
	if tl := timeline(t, env, keyB, b.ID); tl.Status != "PENDING" || len(tl.Events.Edges) != 0 {
		t.Errorf("B's shipment = %s with %d events, want none of A's", tl.Status, len(tl.Events.Edges))
	}
	if tl := timeline(t, env, keyA, a.ID); tl.Status != "DELIVERED" || len(tl.Events.Edges) != 7 {
		t.Errorf("A's shipment = %s with %d events, want DELIVERED with 7, untouched by B", tl.Status, len(tl.Events.Edges))
	}

	// A deletes its source: the next webhook is refused, the past kept.
	env.MustGraphQL(t, keyA, `mutation($id: ID!) { deleteTrackingSource(id: $id) { id } }`, map[string]any{"id": srcA.ID}, nil)
	if r := post(t, env, srcA.WebhookURL, guide, h, v); r.Status != http.StatusNotFound {
		t.Errorf("webhook to a deleted source: %d, want 404", r.Status)
	}
	if n := count(t, env, `SELECT count(*) FROM tracking_sources WHERE id = $1 AND secret_sealed IS NULL`, srcA.ID); n != 1 {
		t.Errorf("deleted source keeps its secret")
	}
}
