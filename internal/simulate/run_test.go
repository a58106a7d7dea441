package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

const testAPIKey = "sw_test_key"

// fakeServer is an HTTP fake of Shipwatch's public API: the two GraphQL
// operations the simulator uses and a webhook endpoint that verifies
// signatures with the webhook package, as the real server must.
type fakeServer struct {
	t          *testing.T
	shipments  []map[string]any
	pageSize   int
	fullURL    bool // answer webhookUrl as a full URL instead of a path
	failFirst  int  // answer the first n webhooks 503
	rejectAll  bool // answer every webhook 401
	srv        *httptest.Server
	mu         sync.Mutex
	provider   string
	secret     string
	webhooks   int
	seen       map[[32]byte]bool
	lastStatus map[string]shipment.Status
	lastCount  map[string]int
	outOfOrder int
}

func newFakeServer(t *testing.T, shipments []map[string]any) *fakeServer {
	f := &fakeServer{t: t, shipments: shipments, pageSize: 3, seen: map[[32]byte]bool{},
		lastStatus: map[string]shipment.Status{}, lastCount: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", f.graphql)
	mux.HandleFunc("POST /webhooks/{provider}/{id}", f.webhook)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) graphql(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testAPIKey {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"message":"invalid API key","extensions":{"code":"UNAUTHENTICATED"}}]}`)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var data any
	switch {
	case strings.Contains(req.Query, "shipments(first: 500, after: $after)"):
		start := 0
		if after, ok := req.Variables["after"].(string); ok {
			start, _ = strconv.Atoi(after)
		}
		end := min(start+f.pageSize, len(f.shipments))
		var edges []any
		for _, n := range f.shipments[start:end] {
			edges = append(edges, map[string]any{"node": n})
		}
		data = map[string]any{"shipments": map[string]any{
			"edges":    edges,
			"pageInfo": map[string]any{"hasNextPage": end < len(f.shipments), "endCursor": strconv.Itoa(end)},
		}}
	case strings.Contains(req.Query, "createTrackingSource(provider: $p, secret: $s)"):
		f.mu.Lock()
		f.provider, _ = req.Variables["p"].(string)
		f.secret, _ = req.Variables["s"].(string)
		f.mu.Unlock()
		hook := "/webhooks/" + strings.ToLower(f.provider) + "/src_1"
		if f.fullURL {
			hook = f.srv.URL + hook
		}
		data = map[string]any{"createTrackingSource": map[string]any{"id": "src_1", "webhookUrl": hook}}
	default:
		f.t.Errorf("unexpected GraphQL operation %q", req.Query)
	}
	if err := json.NewEncoder(w).Encode(map[string]any{"data": data}); err != nil {
		f.t.Errorf("encode: %v", err)
	}
}

func (f *fakeServer) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhooks++
	if f.rejectAll {
		http.Error(w, "unknown source", http.StatusUnauthorized)
		return
	}
	if f.webhooks <= f.failFirst {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	verify, parse, source := webhook.VerifyEasyPost, webhook.ParseEasyPost, shipment.SourceEasyPost
	if r.PathValue("provider") == "aftership" {
		verify, parse, source = webhook.VerifyAfterShip, webhook.ParseAfterShip, shipment.SourceAfterShip
	}
	if strings.ToLower(f.provider) != r.PathValue("provider") {
		f.t.Errorf("webhook for %s on a %s source", r.PathValue("provider"), f.provider)
	}
	if err := verify(body, r.Header, f.secret); err != nil {
		f.t.Errorf("verify: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	p, err := parse(body)
	if err != nil {
		f.t.Errorf("parse: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if n := len(p.Events); n != f.lastCount[p.TrackingNumber]+1 {
		f.outOfOrder++
	}
	f.lastCount[p.TrackingNumber] = len(p.Events)
	for _, e := range p.Events {
		if e.Source != source {
			f.t.Errorf("event source %v, want %v", e.Source, source)
		}
		f.seen[shipment.Fingerprint("1", p.TrackingNumber, e)] = true
		f.lastStatus[p.TrackingNumber] = e.Status
	}
	w.WriteHeader(http.StatusAccepted)
}

func testNodes(n int) []map[string]any {
	var nodes []map[string]any
	for i := range n {
		nodes = append(nodes, map[string]any{
			"id": fmt.Sprint("shp_", i), "trackingNumber": fmt.Sprintf("1Z999AA1%010d", i),
			"carrier": testCarriers[i%len(testCarriers)], "shippedAt": "2026-07-06T15:30:00Z", "deliverBy": "2026-07-10",
		})
	}
	// A shipment not shipped yet has no carrier life.
	nodes = append(nodes, map[string]any{"id": "shp_unshipped", "trackingNumber": "X1", "carrier": "usps", "shippedAt": nil, "deliverBy": nil})
	return nodes
}

// expectedLives replays what Run will plan for the fake's shipments.
func expectedLives(f *fakeServer, seed uint64, mix Mix) map[string]Life {
	lives := map[string]Life{}
	for _, n := range f.shipments {
		s, ok := shipmentNode{ID: n["id"].(string), TrackingNumber: strPtr(n["trackingNumber"]), Carrier: strPtr(n["carrier"]),
			ShippedAt: strPtr(n["shippedAt"]), DeliverBy: strPtr(n["deliverBy"])}.shipment()
		if ok {
			lives[s.TrackingNumber] = NewLife(s, mix, lifeRand(seed, s.TrackingNumber))
		}
	}
	return lives
}

func strPtr(v any) *string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &s
}

func TestRun(t *testing.T) {
	tests := []struct {
		provider  string
		fullURL   bool
		failFirst int
	}{
		{ProviderEasyPost, false, 2},
		{ProviderAfterShip, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			f := newFakeServer(t, testNodes(8))
			f.fullURL, f.failFirst = tt.fullURL, tt.failFirst
			mix := DefaultMix()
			stats, err := Run(context.Background(), Options{
				BaseURL: f.srv.URL + "/", APIKey: testAPIKey, Provider: tt.provider,
				Rate: 2000, Mix: mix, Seed: 5,
			})
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			lives := expectedLives(f, 5, mix)
			total := 0
			for _, l := range lives {
				total += len(l.Events)
			}
			want := Stats{Shipments: 8, Skipped: 1, Sent: total, Accepted: total, Retries: tt.failFirst, Events: total}
			if stats != want {
				t.Errorf("Run() stats = %+v, want %+v", stats, want)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.seen) != total || f.outOfOrder != 0 {
				t.Errorf("server stored %d distinct events (%d out of order), want %d in order", len(f.seen), f.outOfOrder, total)
			}
			for tn, l := range lives {
				if got, want := f.lastStatus[tn], l.Events[len(l.Events)-1].Status; got != want {
					t.Errorf("%s (%s) ended %v, want %v", tn, l.Outcome, got, want)
				}
			}
		})
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	f := newFakeServer(t, testNodes(20))
	start := time.Now()
	stats, err := Run(context.Background(), Options{
		BaseURL: f.srv.URL, APIKey: testAPIKey, Provider: ProviderAfterShip, Rate: 50, Duration: 200 * time.Millisecond, Seed: 1,
	})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Run() took %v, want about 200ms", elapsed)
	}
	if stats.Sent == 0 || stats.Sent > 12 || stats.Accepted != stats.Sent {
		t.Errorf("Run() stats = %+v, want a few accepted webhooks at 50/s for 200ms", stats)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	f := newFakeServer(t, testNodes(20))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Options{BaseURL: f.srv.URL, APIKey: testAPIKey, Provider: ProviderEasyPost, Rate: 20, Seed: 1})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run() error = %v, want context.DeadlineExceeded", err)
	}
}

func TestRunGivesUpWhenRefused(t *testing.T) {
	f := newFakeServer(t, testNodes(20))
	f.rejectAll = true
	stats, err := Run(context.Background(), Options{BaseURL: f.srv.URL, APIKey: testAPIKey, Provider: ProviderEasyPost, Rate: 1000, Seed: 1})
	if !errors.Is(err, errRefused) {
		t.Errorf("Run() error = %v, want errRefused", err)
	}
	if stats.Accepted != 0 || stats.Rejected < giveUpAfter || stats.Rejected > giveUpAfter+maxInFlight {
		t.Errorf("Run() stats = %+v, want about %d rejected", stats, giveUpAfter)
	}
}

func TestRunSetupErrors(t *testing.T) {
	f := newFakeServer(t, testNodes(1))
	ok := Options{BaseURL: f.srv.URL, APIKey: testAPIKey, Provider: ProviderEasyPost, Rate: 10}
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr string
	}{
		{"bad url", func(o *Options) { o.BaseURL = "localhost:8080" }, "not an http(s) URL"},
		{"no key", func(o *Options) { o.APIKey = "" }, "API key is required"},
		{"wrong key", func(o *Options) { o.APIKey = "nope" }, "invalid API key (UNAUTHENTICATED)"},
		{"provider", func(o *Options) { o.Provider = "shippo" }, `provider "shippo"`},
		{"rate", func(o *Options) { o.Rate = 0 }, "rate 0"},
		{"duration", func(o *Options) { o.Duration = -time.Second }, "negative"},
		{"mix", func(o *Options) { o.Mix = Mix{} }, "no outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Run() error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestWebhookTarget(t *testing.T) {
	tests := []struct {
		hook, want, wantErr string
	}{
		{"/webhooks/easypost/7", "http://h:8080/webhooks/easypost/7", ""},
		{"https://shipwatch.example/webhooks/aftership/7", "https://shipwatch.example/webhooks/aftership/7", ""},
		{"webhooks/easypost/7", "", "neither a path nor"},
		{"ftp://h/x", "", "neither a path nor"},
	}
	for _, tt := range tests {
		got, err := webhookTarget("http://h:8080", tt.hook)
		if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("webhookTarget(%q) = %q, %v, want %q, %q", tt.hook, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseAPITime(t *testing.T) {
	tests := []struct {
		in       string
		endOfDay bool
		want     time.Time
		ok       bool
	}{
		{"2026-07-06T15:30:00Z", false, time.Date(2026, 7, 6, 15, 30, 0, 0, time.UTC), true},
		{"2026-07-06T15:30:00-04:00", true, time.Date(2026, 7, 6, 19, 30, 0, 0, time.UTC), true},
		{"2026-07-10", true, time.Date(2026, 7, 10, 23, 59, 59, 0, time.UTC), true},
		{"2026-07-10", false, time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC), true},
		{"", false, time.Time{}, false},
		{"soon", true, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseAPITime(tt.in, tt.endOfDay)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseAPITime(%q, %v) = %v, %v, want %v, %v", tt.in, tt.endOfDay, got, ok, tt.want, tt.ok)
		}
	}
}
