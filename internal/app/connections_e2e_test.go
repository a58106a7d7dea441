package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// pageJSON is a connection's page as every connection answers it.
type pageJSON struct {
	TotalCount int
	Edges      []struct{ Cursor string }
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

// checkPages reads a connection in pages of 2 and checks totalCount and
// PageInfo on each: want items in all.
func checkPages(t *testing.T, env *apptest.Env, key, name, query string, read func(data map[string]pageJSON) pageJSON, want int) {
	t.Helper()
	var after any
	seen := 0
	for page := 0; ; page++ {
		var out map[string]pageJSON
		env.MustGraphQL(t, key, query, map[string]any{"after": after}, &out)
		p := read(out)
		if p.TotalCount != want {
			t.Errorf("%s page %d: totalCount = %d, want %d", name, page, p.TotalCount, want)
		}
		if p.PageInfo.HasPreviousPage != (page > 0) {
			t.Errorf("%s page %d: hasPreviousPage = %v", name, page, p.PageInfo.HasPreviousPage)
		}
		if n := len(p.Edges); n > 0 && (p.PageInfo.StartCursor == nil || *p.PageInfo.StartCursor != p.Edges[0].Cursor ||
			p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[n-1].Cursor) {
			t.Errorf("%s page %d: startCursor/endCursor = %v/%v, want the first and last edges' cursors", name, page, p.PageInfo.StartCursor, p.PageInfo.EndCursor)
		}
		seen += len(p.Edges)
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
		if page > want {
			t.Fatalf("%s: more pages than items", name)
		}
	}
	if seen != want {
		t.Errorf("%s: %d items over the pages, want %d", name, seen, want)
	}
}

// Every connection counts its items (totalCount), another seller's not
// included, and its PageInfo has startCursor and hasPreviousPage.
func TestConnectionsCountAndPageInfo(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, otherKey := env.Seller(t, "Other")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	for _, k := range []string{key, otherKey} {
		for i := range 3 {
			env.MustGraphQL(t, k, fmt.Sprintf(`mutation { createTrackingSource(provider: EASYPOST, secret: "secret-%d") { id } }`, i), nil, nil)
		}
		waitImport(t, env, k, uploadFile(t, env, k, "a.csv", []byte("order_id,tracking_number\nA-1,1Z999AA10123456784\n")).ID, 30*time.Second)
		waitImport(t, env, k, uploadFile(t, env, k, "b.csv", []byte("order_id,tracking_number\nB-1,1Z999AA10123456784\n")).ID, 30*time.Second)
		waitImport(t, env, k, uploadFile(t, env, k, "c.csv", []byte("order_id,tracking_number\nC-1,\n")).ID, 30*time.Second)
		env.MustGraphQL(t, k, `mutation($url: String!) { setNotificationEndpoint(url: $url) { secret } }`, map[string]any{"url": hook.URL}, nil)
		env.MustGraphQL(t, k, `mutation { recordTrackingEvents(input: [
			{trackingNumber: "1Z999AA10123456784", carrier: "UPS", occurredAt: "2026-11-20T09:00:00Z", status: IN_TRANSIT},
			{trackingNumber: "1Z999AA10123456784", carrier: "UPS", occurredAt: "2026-11-21T09:00:00Z", status: IN_TRANSIT},
			{trackingNumber: "1Z999AA10123456784", carrier: "UPS", occurredAt: "2026-11-22T09:00:00Z", status: DELIVERED}]) { recorded } }`, nil, nil)
	}
	const info = `totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`
	checkPages(t, env, key, "trackingSources", `query($after: String) { trackingSources(first: 2, after: $after) { `+info+` } }`,
		func(d map[string]pageJSON) pageJSON { return d["trackingSources"] }, 3)
	checkPages(t, env, key, "shipmentImports", `query($after: String) { shipmentImports(first: 2, after: $after) { `+info+` } }`,
		func(d map[string]pageJSON) pageJSON { return d["shipmentImports"] }, 3)
	checkPages(t, env, key, "shipments", `query($after: String) { shipments(first: 2, after: $after) { `+info+` } }`,
		func(d map[string]pageJSON) pageJSON { return d["shipments"] }, 2)

	var ship struct {
		ShipmentsByTrackingNumber []struct{ ID string }
	}
	env.MustGraphQL(t, key, `{ shipmentsByTrackingNumber(trackingNumber: "1Z999AA10123456784") { id } }`, nil, &ship)
	if len(ship.ShipmentsByTrackingNumber) != 2 {
		t.Fatalf("shipments with the number = %+v, want A-1 and B-1", ship)
	}
	id := ship.ShipmentsByTrackingNumber[0].ID
	var events struct{ Shipment struct{ Events pageJSON } }
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { events(first: 2) { `+info+` } } }`, map[string]any{"id": id}, &events)
	if e := events.Shipment.Events; e.TotalCount != 3 || len(e.Edges) != 2 || !e.PageInfo.HasNextPage || e.PageInfo.HasPreviousPage {
		t.Errorf("events(first: 2) = %+v, want 2 of 3 events", e)
	}

	// Deliveries are queued by jobs as the events are processed: count
	// them in the same response as the list, once there are some.
	apptest.Eventually(t, 30*time.Second, "notification deliveries", func() bool {
		var out struct{ NotificationDeliveries pageJSON }
		env.MustGraphQL(t, key, `{ notificationDeliveries(first: 500) { `+info+` } }`, nil, &out)
		d := out.NotificationDeliveries
		if d.TotalCount != len(d.Edges) {
			t.Errorf("notificationDeliveries: totalCount %d, %d edges", d.TotalCount, len(d.Edges))
		}
		return d.TotalCount > 0
	})
}

// Introspection shows the directives a client can use and no
// code-generation directive (gqlgen's @goField): the update inputs' Go
// types are bound in gqlgen.yml instead.
func TestIntrospectionHidesCodegenDirectives(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	var out struct {
		Schema struct {
			Directives []struct{ Name string }
		} `json:"__schema"`
	}
	env.MustGraphQL(t, "", `{ __schema { directives { name } } }`, nil, &out)
	allowed := map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true}
	if len(out.Schema.Directives) == 0 {
		t.Fatal("introspection lists no directive")
	}
	for _, d := range out.Schema.Directives {
		if !allowed[d.Name] {
			t.Errorf("introspection shows the directive @%s", d.Name)
		}
	}
}
