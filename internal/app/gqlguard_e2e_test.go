package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
)

// The attacks of this file, as found on the server before its queries were
// bounded before parsing: 20,000 __typename fields (220 KB) cost about 29
// CPU-seconds without a key, and 1,000 aliased copies of the full
// introspection query (162 KB; 189 KB as written here) took the server
// from 161 MB to 982 MB.

// typenameFlood is the body of the first attack.
func typenameFlood(fields int) []byte {
	return []byte(`{"query":"query Q1 { ` + strings.Repeat("__typename ", fields) + `}"}`)
}

// introspectionQuery is the playground's schema query, every option on.
func introspectionQuery(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../graph/testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// schemaFlood is the second attack: n aliased copies of the full
// introspection query's __schema selection, with its fragments.
func schemaFlood(t testing.TB, n int) []byte {
	q := introspectionQuery(t)
	var b strings.Builder
	b.WriteString("query Q2 { ")
	for i := range n {
		fmt.Fprintf(&b, "s%d: __schema { queryType { name kind } mutationType { name kind } subscriptionType { name kind } "+
			"types { ...FullType } directives { name description locations args { ...InputValue } } } ", i)
	}
	b.WriteString("} " + q[strings.Index(q, "fragment FullType"):])
	body, err := json.Marshal(map[string]string{"query": b.String()})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// postGraphQL sends a raw GraphQL body, with key when it is not "".
func postGraphQL(t testing.TB, env *apptest.Env, key string, body []byte) apptest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return env.Do(t, req)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTypenameFloodRefusedCheaply sends the 20,000-field attack 25 times
// without a key and 25 times with one, and measures the CPU the process
// (server and client: the server runs in it) spent on them. It is not
// parallel, so no other test of the package runs meanwhile.
func TestTypenameFloodRefusedCheaply(t *testing.T) {
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	flood := typenameFlood(20000)
	if len(flood) < 220000 {
		t.Fatalf("the attack is %d bytes, want 220 KB", len(flood))
	}
	const requests = 25
	const budget = time.Second // for all 25: milliseconds each, where it was 29 s each
	for _, c := range []struct {
		name, key, bound string
	}{
		{"without a key", "", "bytes"},
		{"with a key", key, "fields"},
	} {
		before := cpuTime(t)
		for range requests {
			r := postGraphQL(t, env, c.key, flood)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != c.bound {
				t.Fatalf("%s: errors = %+v, want QUERY_TOO_LARGE on %s", c.name, r.Errors, c.bound)
			}
		}
		spent := cpuTime(t) - before
		t.Logf("%s: %d requests of %d bytes refused in %s of CPU (%s each): %s", c.name, requests, len(flood), spent, spent/requests, c.bound)
		if spent > budget {
			t.Errorf("%s: %d refusals took %s of CPU, want under %s", c.name, requests, spent, budget)
		}
	}

	// Under the byte bound, the field bound refuses it after 151 fields.
	small := typenameFlood(1400)
	before := cpuTime(t)
	for range requests {
		r := postGraphQL(t, env, "", small)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != "fields" {
			t.Fatalf("1,400 fields without a key: errors = %+v, want QUERY_TOO_LARGE on fields", r.Errors)
		}
		if !strings.Contains(r.Errors[0].Message, "150") {
			t.Errorf("message %q does not name the limit of 150 fields", r.Errors[0].Message)
		}
	}
	if spent := cpuTime(t) - before; spent > budget {
		t.Errorf("%d refusals of 1,400 fields took %s of CPU, want under %s", requests, spent, budget)
	}
}

// TestSchemaFloodMemory sends the 1,000-alias introspection attack to a
// server process, without a key and with one, and checks the process's
// peak resident memory (VmHWM in /proc/<pid>/status: the server's alone).
func TestSchemaFloodMemory(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t)
	proc := apptest.StartProcess(t, dbURL)
	_, key := apptest.SellerOn(t, dbURL, "Acme")
	env := proc.Env()
	flood := schemaFlood(t, 1000)
	t.Logf("the attack is %d bytes", len(flood))
	start, err := proc.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, c := range []struct{ key, bound string }{{"", "bytes"}, {key, "introspections"}} {
		for range 4 { // four clients at once, five attacks each
			wg.Go(func() {
				for range 5 {
					r := postGraphQL(t, env, c.key, flood)
					if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != c.bound {
						t.Errorf("key %t: errors = %+v, want QUERY_TOO_LARGE on %s", c.key != "", r.Errors, c.bound)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	// The largest form allowed, one full introspection, answers.
	for _, k := range []string{"", key} {
		var out struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		env.MustGraphQL(t, k, introspectionQuery(t), nil, &out)
		if len(out.Schema.Types) < 50 {
			t.Errorf("introspection returned %d types", len(out.Schema.Types))
		}
	}
	peak, err := proc.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS (VmHWM): %d MB after starting, %d MB after 40 attacks", start>>20, peak>>20)
	if peak > 300<<20 {
		t.Errorf("peak RSS %d MB, want under 300 MB", peak>>20)
	}
}

// TestIntrospectionWithoutKey checks what a request without a key may do:
// the playground's schema query and __typename, once per request; anything
// else is UNAUTHENTICATED before it is parsed.
func TestIntrospectionWithoutKey(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	q := introspectionQuery(t)
	for _, k := range []string{"", key} {
		body, _ := json.Marshal(map[string]string{"query": q, "operationName": "IntrospectionQuery"})
		r := postGraphQL(t, env, k, body)
		if len(r.Errors) != 0 {
			t.Fatalf("introspection (key %t): %+v", k != "", r.Errors)
		}
		t.Logf("introspection response (key %t): %d bytes of data", k != "", len(r.Data))
	}
	env.MustGraphQL(t, "", `{ __typename }`, nil, nil)

	for _, c := range []struct{ query, code string }{
		{`{ viewer { id } }`, "UNAUTHENTICATED"},
		{`{ __typename viewer { id } }`, "UNAUTHENTICATED"},
		{`{ ...F } fragment F on Query { viewer { id } }`, "UNAUTHENTICATED"},
		{`mutation { __typename }`, "UNAUTHENTICATED"},
		{`subscription { flagRaised { id } }`, "UNAUTHENTICATED"},
		// Not even parsed: this is no GraphQL at all after the first field.
		{`{ viewer { id } } ] ] ]`, "UNAUTHENTICATED"},
		{`{ a: __schema { description } b: __schema { description } }`, "QUERY_TOO_LARGE"},
	} {
		r := env.GraphQL(t, "", c.query, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != c.code || (r.HasData && string(r.Data) != "null") {
			t.Errorf("%s without a key: %+v (data %s), want %s and no data", c.query, r.Errors, r.Data, c.code)
		}
	}
	// GET is bounded the same way.
	get, err := http.NewRequest(http.MethodGet, env.URL+"/graphql?query="+url.QueryEscape("{ "+strings.Repeat("__typename ", 1400)+"}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := env.Do(t, get); len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != "fields" {
		t.Errorf("GET with 1,400 fields without a key: %+v, want QUERY_TOO_LARGE on fields", r.Errors)
	}
	// With a key, two introspections in one request are refused too.
	r := env.GraphQL(t, key, `{ a: __schema { description } b: __type(name: "Query") { name } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != "introspections" {
		t.Errorf("two introspections with a key: %+v, want QUERY_TOO_LARGE on introspections", r.Errors)
	}
}

// TestPersistedQueryBoundedForCaller checks that a query a seller stored in
// the persisted-query cache is bounded again for a caller without a key
// who names it by its hash.
func TestPersistedQueryBoundedForCaller(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	query := "{ " + strings.Repeat("__typename ", 300) + "}" // within a seller's bounds, not without a key
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	stored, _ := json.Marshal(map[string]any{"query": query, "extensions": ext})
	if r := postGraphQL(t, env, key, stored); len(r.Errors) != 0 {
		t.Fatalf("storing the persisted query: %+v", r.Errors)
	}
	byHash, _ := json.Marshal(map[string]any{"extensions": ext})
	if r := postGraphQL(t, env, key, byHash); len(r.Errors) != 0 {
		t.Fatalf("the seller's persisted query by hash: %+v", r.Errors)
	}
	r := postGraphQL(t, env, "", byHash)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" || r.Errors[0].Extensions["bound"] != "fields" {
		t.Errorf("the persisted query without a key: %+v, want QUERY_TOO_LARGE on fields", r.Errors)
	}
	// And nothing over the bounds is stored: it is refused before the cache.
	big := "{ " + strings.Repeat("__typename ", 600) + "}"
	sum = sha256.Sum256([]byte(big))
	ext = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	body, _ := json.Marshal(map[string]any{"query": big, "extensions": ext})
	if r := postGraphQL(t, env, key, body); len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LARGE" {
		t.Fatalf("storing a query over the bounds: %+v, want QUERY_TOO_LARGE", r.Errors)
	}
	byHash, _ = json.Marshal(map[string]any{"extensions": ext})
	if r := postGraphQL(t, env, key, byHash); len(r.Errors) != 1 || r.Errors[0].Code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Errorf("a refused query by its hash: %+v, want PERSISTED_QUERY_NOT_FOUND", r.Errors)
	}
}

// TestHeavyAllowedQueries checks that what a seller may legitimately send
// still works: 1,000 shipments written inline in one mutation, then the
// largest documented page over them.
func TestHeavyAllowedQueries(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	var q strings.Builder
	q.WriteString("mutation { createShipments(input: [")
	for i := range 1000 {
		fmt.Fprintf(&q, `{orderId: "112-9470321-%06d", carrier: "UPS", trackingNumber: "1Z999AA10123456784",
			shipBy: "2026-11-20T23:59:59Z", deliverBy: "2026-11-25T23:59:59Z", destination: {postalCode: "10001", country: "US"}} `, i)
	}
	q.WriteString("]) { created updated errors { index field message } } }")
	var created struct {
		CreateShipments struct{ Created, Updated int }
	}
	env.MustGraphQL(t, key, q.String(), nil, &created)
	if created.CreateShipments.Created != 1000 {
		t.Fatalf("created %+v, want 1000", created.CreateShipments)
	}
	const event = `id source occurredAt receivedAt status carrier carrierStatus providerStatus providerDetail description
		location { city region postalCode country } estimatedDeliveryAt signedBy photoUrl`
	const flag = `id kind severity message raisedAt acknowledgedAt resolvedAt resolution resolutionNote open`
	const node = `id orderId carrier trackingNumber normalizedTrackingNumber service shipBy shippedAt deliverBy status
		lastEventAt deliveredAt estimatedDeliveryAt firstScanAt createdAt updatedAt destination { postalCode country }`
	largest := `{ shipments(first: 500) { edges { cursor node { ` + node + `
		events(first: 20) { edges { cursor node { ` + event + ` } } pageInfo { hasNextPage endCursor } }
		flags(first: 10) { edges { cursor node { ` + flag + ` } } pageInfo { hasNextPage endCursor } } } }
		pageInfo { hasNextPage endCursor } } }`
	var page struct {
		Shipments struct{ Edges []json.RawMessage }
	}
	env.MustGraphQL(t, key, largest, nil, &page)
	if len(page.Shipments.Edges) != 500 {
		t.Errorf("the largest page has %d shipments, want 500", len(page.Shipments.Edges))
	}
}

// TestClientGoneCancelsSQL checks that a request's work stops when its
// client leaves: an update waiting on a row lock is cancelled in
// PostgreSQL once the client has gone, and never applied.
func TestClientGoneCancelsSQL(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	var sh struct{ CreateShipment struct{ ID string } }
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "A-1", trackingNumber: "1Z999AA10123456784", service: "Ground"}) { id } }`, nil, &sh)
	id := sh.CreateShipment.ID

	su := dbtest.Superuser(t, env.DatabaseURL)
	ctx := context.Background()
	lock, err := su.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback() //nolint:errcheck // rolled back below; this is for early failures
	if _, err := lock.ExecContext(ctx, `SELECT id FROM shipments WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}

	clientCtx, leave := context.WithCancel(ctx)
	body, _ := json.Marshal(map[string]any{"query": `mutation($id: ID!) { updateShipment(id: $id, input: {service: "Next Day Air"}) { id } }`,
		"variables": map[string]any{"id": id}})
	req, _ := http.NewRequestWithContext(clientCtx, http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()

	waiting := func() int {
		var n int
		if err := su.GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	apptest.Eventually(t, 30*time.Second, "the update to wait on the row lock", func() bool { return waiting() == 1 })
	leave()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client request ended with %v, want context.Canceled", err)
	}
	apptest.Eventually(t, 30*time.Second, "the server to cancel the waiting statement", func() bool { return waiting() == 0 })
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	var service string
	if err := su.GetContext(ctx, &service, `SELECT service FROM shipments WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if service != "Ground" {
		t.Errorf("service = %q after the client left, want the update never applied (Ground)", service)
	}
}
