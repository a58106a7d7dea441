package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe opens a graphql-transport-ws subscription and returns every
// payload until the server completes it. It waits as long as the test
// binary may run (less 30 s to report): on a crowded machine a
// 40,000-line import can take minutes, and a hang still fails.
func subscribe(t *testing.T, env *apptest.Env, key, query string, vars map[string]any) []json.RawMessage {
	t.Helper()
	limit := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		limit = max(time.Until(d)-30*time.Second, time.Minute)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
	sub, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	for _, m := range []wsMessage{{Type: "connection_init", Payload: init}, {ID: "1", Type: "subscribe", Payload: sub}} {
		if err := wsjson.Write(ctx, c, m); err != nil {
			t.Fatalf("write %s: %v", m.Type, err)
		}
	}
	var payloads []json.RawMessage
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("read: %v (after %d payloads)", err, len(payloads))
		}
		switch m.Type {
		case "connection_ack", "ping", "pong", "ka":
		case "next", "error":
			payloads = append(payloads, m.Payload)
			if m.Type == "error" {
				return payloads
			}
		case "complete":
			return payloads
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}
}

func TestImportProgressSubscription(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, keyB := env.Seller(t, "B")
	var file bytes.Buffer
	if err := ingesttest.WriteAmazonFlatFile(&file, 40_000, 7, nil); err != nil {
		t.Fatal(err)
	}
	up := uploadFile(t, env, key, "amazon.txt", file.Bytes())
	const q = `subscription($id: ID!) { shipmentImportProgress(id: $id) { status rowsTotal rowsProcessed created rejected } }`
	payloads := subscribe(t, env, key, q, map[string]any{"id": up.ID})
	last := -1
	var final importJSON
	for _, p := range payloads {
		var out struct {
			Data   struct{ ShipmentImportProgress importJSON }
			Errors []any
		}
		if err := json.Unmarshal(p, &out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("payload %s: %v", p, err)
		}
		final = out.Data.ShipmentImportProgress
		if final.RowsProcessed < last {
			t.Errorf("rowsProcessed went back from %d to %d", last, final.RowsProcessed)
		}
		last = final.RowsProcessed
	}
	if final.Status != "COMPLETED" || final.RowsProcessed != 40_000 || *final.RowsTotal != 40_000 {
		t.Errorf("last update = %+v of %d, want COMPLETED with every row", final, len(payloads))
	}

	// Another seller learns nothing of it.
	payloads = subscribe(t, env, keyB, q, map[string]any{"id": up.ID})
	if len(payloads) != 1 || !strings.Contains(string(payloads[0]), "NOT_FOUND") {
		t.Errorf("B subscribing to A's import: %s, want one NOT_FOUND error", payloads)
	}
}

// TestImportSurvivesKill SIGKILLs the server in the middle of a load, starts
// a new one on the same database, and checks that the import completes
// with every count exact: no row twice, no row lost.
func TestImportSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and waits for River's leader election")
	}
	t.Parallel()
	const lines = 300_000
	var file bytes.Buffer
	if err := ingesttest.WriteAmazonFlatFile(&file, lines, 3, nil); err != nil {
		t.Fatal(err)
	}
	// Break one line in 20,000: rejected rows must be exact too.
	data := file.Bytes()
	rows := bytes.SplitAfter(data, []byte{'\n'})
	for i := 20_000; i < len(rows); i += 20_000 {
		f := bytes.Split(rows[i], []byte{'\t'})
		f[6] = nil // tracking-number
		rows[i] = bytes.Join(f, []byte{'\t'})
	}
	data = bytes.Join(rows, nil)
	want := expectedImport(t, data)

	dbURL := dbtest.URL(t)
	first := apptest.StartProcess(t, dbURL)
	_, key := apptest.SellerOn(t, dbURL, "Acme")
	up := uploadFile(t, first.Env(), key, "big.txt", data)
	var before importJSON
	apptest.Eventually(t, 60*time.Second, "the load to commit a batch", func() bool {
		before = getImport(t, first.Env(), key, up.ID)
		return before.RowsProcessed > 0 || before.Status == "COMPLETED"
	})
	first.Kill()
	if before.Status == "COMPLETED" {
		t.Fatalf("the import finished before the kill; make the file bigger")
	}
	t.Logf("killed at %d of %d rows", before.RowsProcessed, lines)

	second := apptest.StartProcess(t, dbURL)
	var after importJSON
	apptest.Eventually(t, 300*time.Second, "the import to finish on the new server", func() bool {
		after = getImport(t, second.Env(), key, up.ID)
		return after.Status == "COMPLETED" || after.Status == "FAILED"
	})
	got := [5]int{after.RowsProcessed, after.Created, after.Updated, after.Rejected, after.InvalidTracking}
	if after.Status != "COMPLETED" || got != want.counts {
		t.Errorf("after the kill: %+v\ngot  rows, created, updated, rejected, invalid = %v\nwant %v", after, got, want.counts)
	}
	var count struct{ Shipments struct{ TotalCount int } }
	second.Env().MustGraphQL(t, key, `{ shipments { totalCount } }`, nil, &count)
	if count.Shipments.TotalCount != want.counts[1] {
		t.Errorf("%d shipments stored, want %d", count.Shipments.TotalCount, want.counts[1])
	}
	if errs := importErrors(t, second.Env(), key, up.ID); len(errs) != want.counts[3] {
		t.Errorf("%d errors listed, want %d", len(errs), want.counts[3])
	}
}

func getImport(t *testing.T, env *apptest.Env, key, id string) importJSON {
	t.Helper()
	var out struct{ ShipmentImport importJSON }
	env.MustGraphQL(t, key, `query($id: ID!) { shipmentImport(id: $id) { `+importFields+` } }`, map[string]any{"id": id}, &out)
	return out.ShipmentImport
}

type expected struct {
	counts [5]int // rows processed, created, updated, rejected, invalid tracking
}

// expectedImport works out what importing data must report, by reading it
// with the same reader and rules, without a database.
func expectedImport(t *testing.T, data []byte) expected {
	t.Helper()
	rd, err := ingest.NewReader(bytes.NewReader(data), ingest.Options{ResolveCarrier: tracking.ResolveCarrier})
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	seen := map[[2]string]bool{}
	accepted := 0
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rerr *ingest.RowError
		if errors.As(err, &rerr) {
			e.counts[3]++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
		check := tracking.Check(row.TrackingNumber, row.Carrier)
		if !check.Valid {
			e.counts[4]++
		}
		seen[[2]string{row.OrderID, check.Normalized}] = true
	}
	e.counts[0] = bytes.Count(data, []byte{'\n'}) - 1
	e.counts[1] = len(seen)
	e.counts[2] = accepted - len(seen)
	return e
}

// TestConcurrentImportsOfOneFile uploads the same file twice at once (a
// double click): both loads run together over the same shipments, and
// between them every row is in exactly once.
func TestConcurrentImportsOfOneFile(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	var file bytes.Buffer
	if err := ingesttest.WriteAmazonFlatFile(&file, 60_000, 5, nil); err != nil {
		t.Fatal(err)
	}
	want := expectedImport(t, file.Bytes())
	a := uploadFile(t, env, key, "a.txt", file.Bytes())
	b := uploadFile(t, env, key, "a.txt", file.Bytes())
	ra, rb := waitImport(t, env, key, a.ID, 120*time.Second), waitImport(t, env, key, b.ID, 120*time.Second)
	accepted := want.counts[1] + want.counts[2]
	if ra.Status != "COMPLETED" || rb.Status != "COMPLETED" || ra.Created+rb.Created != want.counts[1] ||
		ra.Updated+rb.Updated != 2*accepted-want.counts[1] {
		t.Errorf("imports %+v and %+v; want %d created between them, %d updated", ra, rb, want.counts[1], 2*accepted-want.counts[1])
	}
	var count struct{ Shipments struct{ TotalCount int } }
	env.MustGraphQL(t, key, `{ shipments { totalCount } }`, nil, &count)
	if count.Shipments.TotalCount != want.counts[1] {
		t.Errorf("%d shipments, want %d", count.Shipments.TotalCount, want.counts[1])
	}
}
