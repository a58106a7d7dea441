package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// realPack runs the server, delivers a parcel, waits for a checkpoint to
// cover its chain and downloads the dispute's evidence.json.
func realPack(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	env := apptest.Start(t, func(c *config.Config) { c.CheckpointInterval = time.Second })
	sellerID, key := env.Seller(t, "Northwind Goods")
	const number = "1Z999AA10123456784"
	var created struct{ CreateShipment struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($in: ShipmentInput!) { createShipment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"orderId": "112-7765543-1203311", "carrier": "ups", "trackingNumber": number}}, &created)
	start := time.Date(2026, 11, 17, 16, 20, 0, 0, time.UTC)
	var evs []shipment.Event
	for i, s := range []shipment.Status{shipment.StatusInTransit, shipment.StatusInTransit, shipment.StatusDelivered} {
		evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: start.Add(time.Duration(i) * 9 * time.Hour), Status: s,
			Description: "Scan " + string(s), Location: shipment.Location{City: "Portland", Country: "US"}, Source: shipment.SourceEasyPost,
			SignedBy: map[bool]string{true: "Zoë Müller"}[s == shipment.StatusDelivered]})
	}
	if _, err := env.App.Monitor.RecordEvents(ctx, sellerID, evs); err != nil {
		t.Fatal(err)
	}
	db := dbtest.Superuser(t, env.DatabaseURL)
	apptest.Eventually(t, 30*time.Second, "a checkpoint covering the chain", func() bool {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM evidence_checkpoint_leaves WHERE seller_id = $1 AND records = 4`, sellerID).Scan(&n)
		return err == nil && n == 1
	})
	var opened struct{ OpenDispute struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($in: DisputeInput!) { openDispute(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"shipmentId": created.CreateShipment.ID, "kind": "NOT_RECEIVED"}}, &opened)
	req, err := http.NewRequest(http.MethodGet, env.URL+"/disputes/"+opened.OpenDispute.ID+"/evidence.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET evidence.json = %d, %v", resp.StatusCode, err)
	}
	return b
}

// edit rewrites a pack's JSON through fn.
func edit(t *testing.T, pack []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(pack, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEvidenceVerify runs "shipwatch evidence verify" on a real pack: it
// passes with the server's key (as a file or inline); a pack with an
// edited record, an edited checkpoint or a shortened chain fails, as does
// another key; unreadable input is bad usage.
func TestEvidenceVerify(t *testing.T) {
	t.Parallel()
	pack := realPack(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub := checkpoint.EncodePublicKey(apptest.TestCheckpointKey().Public().(ed25519.PublicKey))
	keyFile := write("server.pub", []byte(pub+"\n"))
	good := write("good.json", pack)
	env := envWith(nil)

	for _, k := range []string{keyFile, pub} {
		code, out, errOut := runCmd(t, env, "evidence", "verify", "--pack", good, "--key", k)
		if code != 0 || !strings.HasPrefix(out, "OK: ") || !strings.Contains(out, "records 1-4 are committed by checkpoint") {
			t.Errorf("verify good pack with key %q = exit %d, %q %q; want 0 and OK", k, code, out, errOut)
		}
	}

	timeline := func(m map[string]any) map[string]any { return m["timeline"].([]any)[1].(map[string]any) }
	otherKey := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		name, pack, key, want string
	}{
		{"edited record", write("edited.json", edit(t, pack, func(m map[string]any) { timeline(m)["description"] = "Scan lost" })),
			pub, "content changed"},
		{"chain cut short", write("short.json", edit(t, pack, func(m map[string]any) {
			// Drop the last event: the chain still links, but no longer
			// replays to the committed head.
			m["timeline"] = m["timeline"].([]any)[:2]
			m["proofs"] = []any{}
		})), pub, "does not replay to the committed head"},
		{"edited checkpoint", write("forged.json", edit(t, pack, func(m map[string]any) {
			m["checkpoint"].(map[string]any)["checkpoint"].(map[string]any)["tree_size"] = 2
		})), pub, "signature does not verify"},
		{"another key", good, checkpoint.EncodePublicKey(otherKey), "signature does not verify"},
		{"no checkpoint", write("bare.json", edit(t, pack, func(m map[string]any) { delete(m, "checkpoint") })), pub, "no checkpoint"},
	} {
		code, out, _ := runCmd(t, env, "evidence", "verify", "--pack", tc.pack, "--key", tc.key)
		if code != 1 || !strings.HasPrefix(out, "FAILED") || !strings.Contains(out, tc.want) {
			t.Errorf("verify %s = exit %d, %q; want 1 and FAILED: ...%s", tc.name, code, out, tc.want)
		}
	}

	for _, args := range [][]string{
		{"--pack", filepath.Join(dir, "missing.json"), "--key", pub},
		{"--pack", keyFile, "--key", pub},
		{"--pack", good, "--key", "not-a-key"},
		{"--pack", good},
		{"--key", pub},
	} {
		code, _, errOut := runCmd(t, env, append([]string{"evidence", "verify"}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("verify %v = exit %d, %q; want 2 and one line", args, code, errOut)
		}
	}
}

// TestCheckpointKeyCommand prints the key of the key file, creating it
// the first time as serve would.
func TestCheckpointKeyCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint.key")
	env := envWith(map[string]string{"SHIPWATCH_CHECKPOINT_KEY_FILE": path})
	code, out, errOut := runCmd(t, env, "checkpoint-key")
	if code != 0 {
		t.Fatalf("checkpoint-key = exit %d, %q", code, errOut)
	}
	pub, err := checkpoint.ParsePublicKey(out)
	if err != nil {
		t.Fatalf("checkpoint-key printed %q: %v", out, err)
	}
	key, created, err := checkpoint.LoadKeyFile(path)
	if err != nil || created || !key.Public().(ed25519.PublicKey).Equal(pub) {
		t.Errorf("checkpoint-key printed %q, not the key in %s (%v)", out, path, err)
	}
	if !strings.Contains(errOut, checkpoint.Fingerprint(pub)) {
		t.Errorf("checkpoint-key stderr = %q, want the fingerprint", errOut)
	}
	code, pemOut, _ := runCmd(t, env, "checkpoint-key", "--pem")
	if again, err := checkpoint.ParsePublicKey(pemOut); code != 0 || err != nil || !again.Equal(pub) {
		t.Errorf("checkpoint-key --pem = %d, %q, %v", code, pemOut, err)
	}
	if code, _, errOut := runCmd(t, envWith(map[string]string{"SHIPWATCH_CHECKPOINT_KEY_FILE": filepath.Dir(path)}), "checkpoint-key"); code != 2 ||
		!strings.Contains(errOut, "SHIPWATCH_CHECKPOINT_KEY_FILE") {
		t.Errorf("checkpoint-key with a directory = %d, %q; want 2 naming the variable", code, errOut)
	}
}
