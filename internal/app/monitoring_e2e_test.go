package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

const flagFields = `id kind severity message raisedAt acknowledgedAt resolvedAt resolution resolutionNote open
	shipment { id orderId }`

type flagJSON struct {
	ID             string  `json:"id"`
	Kind           string  `json:"kind"`
	Severity       string  `json:"severity"`
	Message        string  `json:"message"`
	AcknowledgedAt *string `json:"acknowledgedAt"`
	ResolvedAt     *string `json:"resolvedAt"`
	Resolution     *string `json:"resolution"`
	ResolutionNote *string `json:"resolutionNote"`
	Open           bool    `json:"open"`
	Shipment       struct {
		ID      string `json:"id"`
		OrderID string `json:"orderId"`
	} `json:"shipment"`
}

type flagPage struct {
	Edges []struct {
		Node flagJSON `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	TotalCount int `json:"totalCount"`
}

const flagsQuery = `query($f: FlagFilter, $first: Int, $after: String) {
	flags(filter: $f, first: $first, after: $after) { edges { node { ` + flagFields + ` } } pageInfo { hasNextPage endCursor } totalCount } }`

// flags lists the seller's flags through GraphQL.
func flags(t *testing.T, env *apptest.Env, key string, filter map[string]any) flagPage {
	t.Helper()
	var out struct{ Flags flagPage }
	env.MustGraphQL(t, key, flagsQuery, map[string]any{"f": filter, "first": 100}, &out)
	return out.Flags
}

// TestFlagsRaisedAndClearedByJobs drives the rules end to end: shipments
// written through GraphQL are checked by the job their write enqueued, an
// event recorded later clears a flag through its own job, and the API
// shows the history.
func TestFlagsRaisedAndClearedByJobs(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Acme")
	now := time.Now().UTC()
	var created struct {
		CreateShipments struct {
			Shipments []shipmentJSON `json:"shipments"`
		}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id orderId } } }`,
		map[string]any{"in": []map[string]any{
			{"orderId": "A-47", "carrier": "ups", "trackingNumber": "1ZCXZR8J0130053085", "shippedAt": now.Add(-47 * time.Hour).Format(time.RFC3339)},
			{"orderId": "A-49", "carrier": "ups", "trackingNumber": "1Z3EXVMP1234638788", "shippedAt": now.Add(-49 * time.Hour).Format(time.RFC3339)},
			{"orderId": "A-BAD", "trackingNumber": "1Z999AA10123456785"},
		}}, &created)
	late, bad := created.CreateShipments.Shipments[1], created.CreateShipments.Shipments[2]

	open := map[string]any{"open": true}
	apptest.Eventually(t, 10*time.Second, "the check job to raise two flags", func() bool {
		return flags(t, env, key, open).TotalCount == 2
	})
	got := map[string]string{}
	for _, e := range flags(t, env, key, open).Edges {
		got[e.Node.Shipment.OrderID] = e.Node.Kind
	}
	if got["A-49"] != "INACTIVE_TRACKING" || got["A-BAD"] != "INVALID_TRACKING" || got["A-47"] != "" {
		t.Fatalf("open flags by order = %v; want A-49 INACTIVE_TRACKING, A-BAD INVALID_TRACKING, none on A-47 (47 h < 48 h)", got)
	}

	// The first carrier scan, processed as events are, clears it (AUTO).
	if _, err := env.App.Monitor.RecordEvents(context.Background(), sellerID, []shipment.Event{{
		TrackingNumber: "1Z3EXVMP1234638788", OccurredAt: now.Add(-time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice,
	}}); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 10*time.Second, "the event's check job to resolve the flag", func() bool {
		return flags(t, env, key, map[string]any{"open": false}).TotalCount == 1
	})
	resolved := flags(t, env, key, map[string]any{"open": false}).Edges[0].Node
	if resolved.Kind != "INACTIVE_TRACKING" || resolved.Resolution == nil || *resolved.Resolution != "AUTO" || resolved.Open || resolved.Shipment.ID != late.ID {
		t.Errorf("resolved flag = %+v; want INACTIVE_TRACKING on A-49 resolved AUTO", resolved)
	}

	// Shipment.flags shows the history; acknowledge and resolve by hand.
	var sh struct {
		Shipment struct {
			Flags flagPage `json:"flags"`
		}
	}
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { flags { edges { node { `+flagFields+` } } totalCount } } }`,
		map[string]any{"id": bad.ID}, &sh)
	if len(sh.Shipment.Flags.Edges) != 1 || sh.Shipment.Flags.TotalCount != 1 {
		t.Fatalf("Shipment.flags = %+v, want the INVALID_TRACKING flag", sh.Shipment.Flags)
	}
	flagID := sh.Shipment.Flags.Edges[0].Node.ID
	var ack struct{ AcknowledgeFlag flagJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { acknowledgeFlag(id: $id) { `+flagFields+` } }`, map[string]any{"id": flagID}, &ack)
	if ack.AcknowledgeFlag.AcknowledgedAt == nil || !ack.AcknowledgeFlag.Open {
		t.Errorf("acknowledgeFlag = %+v; want acknowledged and still open", ack.AcknowledgeFlag)
	}
	var res struct{ ResolveFlag flagJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { resolveFlag(id: $id, note: "relabelled") { `+flagFields+` } }`, map[string]any{"id": flagID}, &res)
	if res.ResolveFlag.Open || *res.ResolveFlag.Resolution != "MANUAL" || *res.ResolveFlag.ResolutionNote != "relabelled" {
		t.Errorf("resolveFlag = %+v; want resolved MANUAL with the note", res.ResolveFlag)
	}

	// Filters and pages.
	if p := flags(t, env, key, map[string]any{"kinds": []string{"INVALID_TRACKING"}}); p.TotalCount != 1 {
		t.Errorf("flags(kinds: INVALID_TRACKING) total = %d, want 1", p.TotalCount)
	}
	if p := flags(t, env, key, map[string]any{"raisedAfter": now.Add(time.Hour).Format(time.RFC3339)}); p.TotalCount != 0 {
		t.Errorf("flags(raisedAfter: future) total = %d, want 0", p.TotalCount)
	}
	var page struct{ Flags flagPage }
	env.MustGraphQL(t, key, flagsQuery, map[string]any{"first": 1}, &page)
	if len(page.Flags.Edges) != 1 || !page.Flags.PageInfo.HasNextPage {
		t.Fatalf("flags(first: 1) = %+v", page.Flags)
	}
	var next struct{ Flags flagPage }
	env.MustGraphQL(t, key, flagsQuery, map[string]any{"first": 1, "after": *page.Flags.PageInfo.EndCursor}, &next)
	if len(next.Flags.Edges) != 1 || next.Flags.Edges[0].Node.ID == page.Flags.Edges[0].Node.ID || next.Flags.PageInfo.HasNextPage {
		t.Errorf("second page = %+v", next.Flags)
	}
}

// TestMonitoringTenancy checks that another seller can neither see nor
// change a seller's flags, settings or notification deliveries.
func TestMonitoringTenancy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, otherKey := env.Seller(t, "Other")
	create(t, env, key, map[string]any{"orderId": "T-1", "trackingNumber": "1Z999AA10123456785"})
	apptest.Eventually(t, 10*time.Second, "the INVALID_TRACKING flag", func() bool { return flags(t, env, key, nil).TotalCount == 1 })
	id := flags(t, env, key, nil).Edges[0].Node.ID

	if p := flags(t, env, otherKey, nil); p.TotalCount != 0 || len(p.Edges) != 0 {
		t.Errorf("other seller's flags = %+v, want none", p)
	}
	for _, q := range []string{
		`query($id: ID!) { flag(id: $id) { id } }`,
		`mutation($id: ID!) { acknowledgeFlag(id: $id) { id } }`,
		`mutation($id: ID!) { resolveFlag(id: $id, note: "x") { id } }`,
	} {
		r := env.GraphQL(t, otherKey, q, map[string]any{"id": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("%s by another seller: errors = %+v, want NOT_FOUND", q, r.Errors)
		}
	}
	f := flags(t, env, key, nil).Edges[0].Node
	if !f.Open || f.AcknowledgedAt != nil {
		t.Errorf("flag after the other seller's attempts = %+v, want untouched", f)
	}

	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {stalledDays: 9}) { stalledDays } }`, nil, nil)
	var s struct {
		Viewer struct {
			Settings struct {
				StalledDays int `json:"stalledDays"`
			} `json:"settings"`
		}
	}
	env.MustGraphQL(t, otherKey, `{ viewer { settings { stalledDays } } }`, nil, &s)
	if s.Viewer.Settings.StalledDays != 5 {
		t.Errorf("other seller's stalledDays = %d, want the default 5", s.Viewer.Settings.StalledDays)
	}
	r := env.GraphQL(t, key, flagsQuery, map[string]any{"f": map[string]any{"shipmentId": "nope"}})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("flags(shipmentId: nope) errors = %+v, want BAD_USER_INPUT", r.Errors)
	}
	r = env.GraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "Mars/Olympus"}) { timeZone } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "timeZone" {
		t.Errorf("updateSellerSettings(bad zone) errors = %+v, want BAD_USER_INPUT on timeZone", r.Errors)
	}
	r = env.GraphQL(t, key, `mutation { setNotificationEndpoint(url: "ftp://example.com/x") { secret } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("setNotificationEndpoint(ftp) errors = %+v, want BAD_USER_INPUT", r.Errors)
	}
	env.MustGraphQL(t, key, `mutation { setNotificationEndpoint(url: "http://127.0.0.1:1/hook") { endpoint { url } } }`, nil, nil)
	if r := env.GraphQL(t, otherKey, `{ notificationEndpoint { url } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("other seller's notificationEndpoint errors = %+v, want NOT_FOUND", r.Errors)
	}
	var d struct {
		NotificationDeliveries struct{ Edges []any }
	}
	env.MustGraphQL(t, otherKey, `{ notificationDeliveries { edges { node { id } } } }`, nil, &d)
	if len(d.NotificationDeliveries.Edges) != 0 {
		t.Errorf("other seller's deliveries = %v, want none", d.NotificationDeliveries.Edges)
	}
}
