package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// sseEvent is one server-sent event: its name and its JSON data.
type sseEvent struct{ name, data string }

// liveStream is a dashboard session's /app/live stream, read in the
// background.
type liveStream struct {
	t      *testing.T
	events chan sseEvent
}

// openLive opens the session's live stream and waits for its "ready".
func (c *dashClient) openLive(ctx context.Context) *liveStream {
	c.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", c.env.URL+"/app/live", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	client := *c.http
	client.Timeout = 0 // a stream outlives the client's request timeout; ctx ends it
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		c.t.Fatalf("GET /app/live = %v %v", resp, err)
	}
	s := &liveStream{t: c.t, events: make(chan sseEvent, 64)}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		lines := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for lines.Scan() {
			switch l := lines.Text(); {
			case strings.HasPrefix(l, "event: "):
				ev.name = strings.TrimPrefix(l, "event: ")
			case strings.HasPrefix(l, "data: "):
				ev.data = strings.TrimPrefix(l, "data: ")
			case l == "" && ev.name != "":
				s.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	if ev := s.next(10 * time.Second); ev.name != "ready" {
		c.t.Fatalf("first live event = %q, want ready", ev.name)
	}
	return s
}

// next returns the stream's next event, failing the test after within.
func (s *liveStream) next(within time.Duration) sseEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("the live stream ended")
		}
		return ev
	case <-time.After(within):
		s.t.Fatalf("no live event within %v", within)
		return sseEvent{}
	}
}

// nextFlag returns the next event, which must be named name, as a flag.
func (s *liveStream) nextFlag(name string) liveFlagJSON {
	s.t.Helper()
	ev := s.next(30 * time.Second)
	var f liveFlagJSON
	if err := json.Unmarshal([]byte(ev.data), &f); err != nil || ev.name != name {
		s.t.Fatalf("live event %s %s (%v), want %s", ev.name, ev.data, err, name)
	}
	return f
}

// liveFlagJSON is a flag as the live stream sends it.
type liveFlagJSON struct {
	ID, Kind, KindLabel, OrderID, RaisedAt        string
	AcknowledgedAt, ResolvedAt, Resolution        string
	ResolutionNote, ShipmentID, Severity, Message string
}

// The flags page's live stream sends, in order, a flag raised by the API,
// its acknowledgement and its resolution by hand through the use cases,
// and a flag resolved automatically when a check finds its condition gone;
// another seller's stream sends none of them.
func TestDashboardLiveResolutions(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerA, key := env.Seller(t, "Acme")
	_, keyB := env.Seller(t, "Other")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, b := newDashClient(t, env), newDashClient(t, env)
	a.signIn(key)
	b.signIn(keyB)
	liveA, liveB := a.openLive(ctx), b.openLive(ctx)

	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "A-1", carrier: "UPS", trackingNumber: "1Z999AA10123456785"}) { id } }`, nil, nil)
	raised := liveA.nextFlag("flag")
	if raised.OrderID != "A-1" || raised.Kind != "INVALID_TRACKING" || raised.ResolvedAt != "" {
		t.Fatalf("raised = %+v, want A-1's open invalid-tracking flag", raised)
	}

	if _, err := env.App.Monitor.AcknowledgeFlag(ctx, sellerA, raised.ID); err != nil {
		t.Fatal(err)
	}
	if f := liveA.nextFlag("acknowledged"); f.ID != raised.ID || f.AcknowledgedAt == "" || f.OrderID != "A-1" {
		t.Errorf("acknowledged = %+v, want A-1's flag with when it was seen", f)
	}
	if _, err := env.App.Monitor.ResolveFlag(ctx, sellerA, raised.ID, "typo: the label says ...784"); err != nil {
		t.Fatal(err)
	}
	if f := liveA.nextFlag("resolved"); f.ID != raised.ID || f.Resolution != "MANUAL" || f.ResolutionNote != "typo: the label says ...784" || f.ResolvedAt == "" {
		t.Errorf("resolved = %+v, want A-1's flag resolved by hand with the note", f)
	}

	// Correcting the number resolves the next flag automatically.
	var sh struct{ CreateShipment struct{ ID string } }
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "A-2", carrier: "UPS", trackingNumber: "1Z999AA10123456783"}) { id } }`, nil, &sh)
	second := liveA.nextFlag("flag")
	if second.OrderID != "A-2" {
		t.Fatalf("raised = %+v, want A-2's flag", second)
	}
	env.MustGraphQL(t, key, `mutation($id: ID!) { updateShipment(id: $id, input: {trackingNumber: "1Z999AA10123456784"}) { id } }`,
		map[string]any{"id": sh.CreateShipment.ID}, nil)
	if f := liveA.nextFlag("resolved"); f.ID != second.ID || f.Resolution != "AUTO" || f.OrderID != "A-2" {
		t.Errorf("resolved = %+v, want A-2's flag resolved automatically", f)
	}

	// B's stream sent nothing of A's: its first event is its own flag.
	env.MustGraphQL(t, keyB, `mutation { createShipment(input: {orderId: "B-1", carrier: "UPS", trackingNumber: "1Z999AA10123456785"}) { id } }`, nil, nil)
	if f := liveB.nextFlag("flag"); f.OrderID != "B-1" {
		t.Errorf("B's first live event = %+v, want B-1's flag", f)
	}
}
