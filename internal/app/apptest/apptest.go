// Package apptest runs the real Shipwatch server for end-to-end tests: a
// fresh database, migrations, River workers and the HTTP handler on a
// loopback port, plus helpers to make sellers and send GraphQL requests.
package apptest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
)

// TestSecretKey is the secret key test servers run with (base64 of 32
// bytes; never used outside tests).
const TestSecretKey = "c2hpcHdhdGNoLXRlc3Qtc2VjcmV0LWtleS0wMDAwMDA="

// TestCheckpointKey is the key test servers sign evidence checkpoints
// with (from a fixed seed; never used outside tests).
func TestCheckpointKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("shipwatch-test-checkpoint-seed-0"))
}

// writeCheckpointKey writes TestCheckpointKey to a key file of t's.
func writeCheckpointKey(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(TestCheckpointKey())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "checkpoint.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Env is a running server.
type Env struct {
	URL string
	App *app.App
	// DatabaseURL connects as the app role the server serves as;
	// dbtest.Superuser opens the same database as an attacker would.
	DatabaseURL string
}

// Start runs a server on a fresh database until t ends. configure may
// adjust the configuration first.
func Start(t testing.TB, configure ...func(*config.Config)) *Env {
	t.Helper()
	return StartOn(t, dbtest.URL(t), configure...)
}

// StartOn runs a server on an existing database until t ends: two servers
// on one database are two replicas.
func StartOn(t testing.TB, databaseURL string, configure ...func(*config.Config)) *Env {
	t.Helper()
	cfg := config.Default()
	// The server serves as the app role that dbtest's URL names, and
	// migrates through the owner, as an operator's deployment does.
	cfg.DatabaseURL = databaseURL
	cfg.MigrateDatabaseURL = dbtest.OwnerURL(databaseURL)
	cfg.Addr = "127.0.0.1:0"
	cfg.JobPollInterval = 50 * time.Millisecond
	cfg.ShutdownTimeout = 5 * time.Second
	// Replicas of one database share the key that seals its secrets, as
	// production replicas share SHIPWATCH_SECRET_KEY.
	cfg.SecretKey = TestSecretKey
	// And the checkpoint key file, as production replicas share it.
	cfg.CheckpointKeyFile = writeCheckpointKey(t)
	// Checkpoints (and their notifications) only where a test asks for
	// them with a short interval.
	cfg.CheckpointInterval = time.Hour
	// The tests' notification receivers listen on loopback, as a
	// receiver on the server's own host would: the operator allows it.
	cfg.NotifyAllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	// Tests send far more from one address than a client would; the
	// rate-limit tests set the limits themselves.
	cfg.RateAddress, cfg.RateKey, cfg.RateWebhook = config.Rate{}, config.Rate{}, config.Rate{}
	for _, c := range configure {
		c(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("SHIPWATCH_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("app.New() error = %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() error = %v", err)
		}
		a.Close()
	})
	env := &Env{URL: "http://" + ln.Addr().String(), App: a, DatabaseURL: databaseURL}
	env.waitReady(t, done)
	return env
}

// waitReady returns once the server answers /healthz, failing t if Serve
// stopped first.
func (e *Env) waitReady(t testing.TB, done chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("server stopped while starting: %v", err)
		default:
		}
		resp, err := http.Get(e.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server did not answer /healthz within 10s")
}

// Seller creates a seller and returns its id and API key.
func (e *Env) Seller(t testing.TB, name string) (id, key string) {
	t.Helper()
	ctx := context.Background()
	s, err := e.App.Store.InsertSeller(ctx, name)
	if err != nil {
		t.Fatalf("InsertSeller() error = %v", err)
	}
	_, key, err = e.App.Store.InsertAPIKey(ctx, s.ID)
	if err != nil {
		t.Fatalf("InsertAPIKey() error = %v", err)
	}
	return s.ID, key
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	// HasData is false when the response had no "data" key at all.
	HasData bool
}

// Decode unmarshals the response's data into v, failing t on error.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// GraphQL posts a query with the API key ("" for none).
func (e *Env) GraphQL(t testing.TB, key, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return e.Do(t, req)
}

// Do sends a GraphQL HTTP request and decodes the response.
func (e *Env) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	out := Response{Status: resp.StatusCode}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	_, out.HasData = probe["data"]
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode response: %v: %s", err, raw)
	}
	return out
}

// MustGraphQL is GraphQL that fails t on any error in the response.
func (e *Env) MustGraphQL(t testing.TB, key, query string, vars map[string]any, v any) {
	t.Helper()
	r := e.GraphQL(t, key, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("GraphQL errors: %+v", r.Errors)
	}
	if v != nil {
		r.Decode(t, v)
	}
}

// Eventually polls cond every 20ms until it holds. within is how long it
// takes on a quiet machine; it is a hang detector, not a speed target
// (speed lives in benchmarks), so Eventually gives up only after six
// times that, never past the test binary's deadline less 30 s, and logs
// when it needed more than within: a crowded machine (CI beside other
// suites) is slower, and a condition that never holds still fails.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	limit := 6 * within
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			limit = max(min(limit, time.Until(end)-30*time.Second), within)
		}
	}
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %s waiting for %s", limit.Round(time.Second), what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took > within {
		t.Logf("%s took %s (%s on a quiet machine)", what, took.Round(time.Millisecond), within)
	}
}

// testWriter sends server logs to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
