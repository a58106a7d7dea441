package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/server"
	"github.com/shipwatch/shipwatch/internal/store"
)

const body = `{"description":"tracker.updated","result":{"tracking_code":"EZ1000000001","status":"in_transit","updated_at":"2026-11-02T10:00:00Z"}}`

func receiver(t *testing.T, db *sqlx.DB, key *keyring.Key) *httptest.Server {
	t.Helper()
	st := store.New(db)
	client, err := jobs.NewClient(db.DB, nil, jobs.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	server.WebhookRoutes(monitor.NewWebhooks(st, client, key, ""), slog.New(slog.DiscardHandler), 1<<20)(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, url, secret string) *http.Response {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Hmac-Signature", "hmac-sha256-hex="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestWebhookDatabaseAway checks that a webhook that cannot be stored is
// answered 503 with Retry-After, so the provider retries it later.
func TestWebhookDatabaseAway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	st := store.New(db)
	key, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	srv := receiver(t, db, key)
	hooks := monitor.NewWebhooks(st, nil, key, "")
	sel, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	cached, err := hooks.CreateSource(ctx, sel.ID, monitor.NewSource{Provider: monitor.ProviderEasyPost, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	uncached, err := hooks.CreateSource(ctx, sel.ID, monitor.NewSource{Provider: monitor.ProviderEasyPost, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if resp := send(t, srv.URL+monitor.WebhookPath(cached.Provider, cached.ID), "s3cret"); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the database: %d, want 200", resp.StatusCode)
	}
	db.Close() // the database goes away
	for name, src := range map[string]store.TrackingSource{"cached source": cached, "uncached source": uncached} {
		resp := send(t, srv.URL+monitor.WebhookPath(src.Provider, src.ID), "s3cret")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s without the database: %d (Retry-After %q), want 503 with Retry-After", name, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
}

// TestWebhookWrongKey checks that a replica holding another secret key
// answers 503 (retry once fixed), not 401 (the sender did nothing wrong),
// and can count the sources it cannot read.
func TestWebhookWrongKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	st := store.New(db)
	key1, _, _ := keyring.Generate()
	key2, _, _ := keyring.Generate()
	sel, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	src, err := monitor.NewWebhooks(st, nil, key1, "").CreateSource(ctx, sel.ID, monitor.NewSource{Provider: monitor.ProviderEasyPost, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := monitor.NewWebhooks(st, nil, key2, "").CheckKey(ctx); err != nil || n != 1 {
		t.Errorf("CheckKey() = %d, %v; want 1 source under another key", n, err)
	}
	srv := receiver(t, db, key2)
	if resp := send(t, srv.URL+monitor.WebhookPath(src.Provider, src.ID), "s3cret"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("wrong key: %d, want 503", resp.StatusCode)
	}
	srv = receiver(t, db, key1)
	if resp := send(t, srv.URL+monitor.WebhookPath(src.Provider, src.ID), "s3cret"); resp.StatusCode != http.StatusOK {
		t.Errorf("right key: %d, want 200", resp.StatusCode)
	}
}
