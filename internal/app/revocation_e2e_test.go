package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// revoke revokes the API key through st, as `shipwatch apikey revoke`
// does.
func revoke(t *testing.T, st *store.Store, sellerID, key string) {
	t.Helper()
	ctx := context.Background()
	keys, err := st.APIKeys(ctx, sellerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Prefix == store.KeyPrefix(key) {
			if _, err := st.RevokeAPIKey(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no key %s", store.KeyPrefix(key))
}

// TestRevokedKeyStopsStreaming runs two replicas on one database, opens
// subscriptions on A with two keys of one seller and revokes one of them
// through B: A closes that key's subscriptions within 5 s and keeps the
// other key's open.
func TestRevokedKeyStopsStreaming(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	a := apptest.StartOn(t, url)
	b := apptest.StartOn(t, url)
	sellerID, key := a.Seller(t, "Acme")
	_, other, err := a.App.Store.InsertAPIKey(context.Background(), sellerID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := a.Subscribe(t, key, `subscription { flagRaised { id } }`)
	kept := a.Subscribe(t, other, `subscription { flagRaised { id } }`)
	apptest.Eventually(t, 10*time.Second, "the subscriptions to be listening on A", func() bool { return a.App.PubSub.Subscribers() == 2 })
	if strings.Contains(string(revoked.Ack), key) || strings.Contains(string(revoked.Ack), store.KeyPrefix(key)) {
		t.Errorf("connection_ack payload %s echoes the API key", revoked.Ack)
	}

	revoke(t, b.App.Store, sellerID, key)
	start := time.Now()
	if code := revoked.Closed(t, 5*time.Second); code == -1 {
		t.Errorf("the revoked key's websocket ended without a close frame")
	}
	t.Logf("closed %s after the revocation", time.Since(start).Round(time.Millisecond))
	apptest.Eventually(t, 5*time.Second, "the revoked subscription to end on A", func() bool { return a.App.PubSub.Subscribers() == 1 })

	// The other key still streams: a flag raised through B reaches it.
	create(t, b, other, map[string]any{"orderId": "K-1", "trackingNumber": "1Z999AA10123456785"})
	var ev struct{ FlagRaised struct{ ID string } }
	kept.Next(t, 15*time.Second, &ev)
}

// TestWebsocketRefusesBadKeys sends connection_init with a wrong key and
// with a revoked one: the server closes with 4403 (graphql-transport-ws's
// Forbidden, after which clients stop reconnecting), not 1000, and never
// echoes the key back.
func TestWebsocketRefusesBadKeys(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Acme")
	revoke(t, env.App.Store, sellerID, key)
	for name, k := range map[string]string{"wrong": "sw_aaaaaaaa_" + strings.Repeat("b", 40), "revoked": key, "garbage": "nonsense"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		url := "ws" + strings.TrimPrefix(env.URL, "http") + "/graphql"
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			cancel()
			t.Fatalf("dial: %v", err)
		}
		init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + k})
		if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": json.RawMessage(init)}); err != nil {
			t.Fatal(err)
		}
		var readErr error
		for readErr == nil {
			var m map[string]any
			if readErr = wsjson.Read(ctx, conn, &m); readErr == nil {
				if m["type"] == "connection_ack" {
					t.Errorf("%s key: connection_ack, want refused", name)
				}
				if raw, _ := json.Marshal(m); strings.Contains(string(raw), k) {
					t.Errorf("%s key: message %s echoes the key", name, raw)
				}
			}
		}
		if code := websocket.CloseStatus(readErr); code != 4403 {
			t.Errorf("%s key: closed with %d (%v), want 4403", name, code, readErr)
		}
		conn.CloseNow() //nolint:errcheck // already closed by the server
		cancel()
	}
}
