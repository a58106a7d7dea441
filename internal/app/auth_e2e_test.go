package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Acme")

	var v struct{ Viewer struct{ ID, Name string } }
	env.MustGraphQL(t, key, `{ viewer { id name } }`, nil, &v)
	if v.Viewer.ID != sellerID || v.Viewer.Name != "Acme" {
		t.Errorf("viewer = %+v, want %s Acme", v.Viewer, sellerID)
	}

	keys, err := env.App.Store.APIKeys(context.Background(), sellerID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("APIKeys() = %v, %v", keys, err)
	}
	_, revokedKey, err := env.App.Store.InsertAPIKey(context.Background(), sellerID)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := env.App.Store.APIKeys(context.Background(), sellerID)
	if _, err := env.App.Store.RevokeAPIKey(context.Background(), all[1].ID); err != nil {
		t.Fatal(err)
	}

	// A wrong key: the last character changed, whatever it was.
	wrong := key[:len(key)-1] + map[bool]string{true: "y", false: "x"}[strings.HasSuffix(key, "x")]
	for name, k := range map[string]string{
		"missing": "", "wrong": wrong, "garbage": "hello", "revoked": revokedKey,
	} {
		r := env.GraphQL(t, k, `{ viewer { id } shipments { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || (r.HasData && string(r.Data) != "null") {
			t.Errorf("%s key: %+v (data %s), want UNAUTHENTICATED and no data", name, r.Errors, r.Data)
		}
	}

	// The playground may read the schema before a key is pasted.
	var intro struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	env.MustGraphQL(t, "", `{ __schema { queryType { name } } }`, nil, &intro)
	if intro.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection without a key = %+v", intro)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	for path, want := range map[string]string{
		"/healthz": `"ok"`, "/readyz": `"ready"`, "/metrics": "shipwatch_http_request_duration_seconds", "/": "<html",
	} {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %.200s, want 200 containing %s", path, resp.StatusCode, body, want)
		}
	}
}

func TestRequestBounds(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.MaxBodyBytes = 4096 })
	_, key := env.Seller(t, "Acme")

	big := `{"query":"{ viewer { id } }","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", resp.StatusCode)
	}

	deep := `{ shipments(first: 500) { edges { node { id orderId carrier trackingNumber normalizedTrackingNumber service shipBy
		shippedAt deliverBy status lastEventAt deliveredAt createdAt updatedAt destination { postalCode country } } cursor } totalCount } }`
	if r := env.GraphQL(t, key, deep, nil); len(r.Errors) != 0 {
		t.Errorf("a full page of 500 should be allowed: %+v", r.Errors)
	}
	pages := `{ shipments(first: 500) { edges { node { events(first: 500) { edges { node { id status } } } } } } }`
	r := env.GraphQL(t, key, pages, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("a page of 500 timelines of 500: errors = %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
	}
}
