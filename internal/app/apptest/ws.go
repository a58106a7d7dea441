package apptest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// Subscription is a GraphQL subscription over a websocket, spoken in the
// graphql-transport-ws protocol as browsers' clients do.
type Subscription struct {
	conn *websocket.Conn
	msgs chan wsMessage
	// Ack is the connection_ack's payload.
	Ack json.RawMessage
	// readErr is why reading stopped, set before msgs is closed.
	readErr error
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Subscribe opens a websocket to the server, authenticates with the API
// key in the connection_init payload and starts the subscription. It is
// closed when t ends.
func (e *Env) Subscribe(t testing.TB, key, query string) *Subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := "ws" + strings.TrimPrefix(e.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		cancel()
		t.Fatalf("websocket dial %s: %v", url, err)
	}
	s := &Subscription{conn: conn, msgs: make(chan wsMessage, 100)}
	t.Cleanup(func() {
		conn.Close(websocket.StatusNormalClosure, "test done") //nolint:errcheck // closing anyway
		cancel()
	})
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
	s.send(t, ctx, wsMessage{Type: "connection_init", Payload: init})
	go func() {
		defer close(s.msgs)
		for {
			var m wsMessage
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				s.readErr = err
				return
			}
			if m.Type == "ping" {
				wsjson.Write(ctx, conn, wsMessage{Type: "pong"}) //nolint:errcheck // the read fails next if the connection is gone
				continue
			}
			s.msgs <- m
		}
	}()
	m := s.read(t, 10*time.Second)
	if m.Type != "connection_ack" {
		t.Fatalf("websocket: got %s %s, want connection_ack", m.Type, m.Payload)
	}
	s.Ack = m.Payload
	payload, _ := json.Marshal(map[string]any{"query": query})
	s.send(t, ctx, wsMessage{ID: "1", Type: "subscribe", Payload: payload})
	return s
}

func (s *Subscription) send(t testing.TB, ctx context.Context, m wsMessage) {
	t.Helper()
	if err := wsjson.Write(ctx, s.conn, m); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

func (s *Subscription) read(t testing.TB, within time.Duration) wsMessage {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			t.Fatalf("websocket closed")
		}
		return m
	case <-time.After(within):
		t.Fatalf("no websocket message within %s", within)
	}
	return wsMessage{}
}

// Next waits for the subscription's next event and decodes its data into
// v, failing t on an error or when none comes within the time given.
func (s *Subscription) Next(t testing.TB, within time.Duration, v any) {
	t.Helper()
	m := s.read(t, within)
	if m.Type != "next" {
		t.Fatalf("websocket: got %s %s, want next", m.Type, m.Payload)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("subscription payload %s: %v %+v", m.Payload, err, r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Nothing fails t if the subscription delivers an event within d.
func (s *Subscription) Nothing(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if ok {
			t.Fatalf("unexpected websocket message %s %s", m.Type, m.Payload)
		}
	case <-time.After(d):
	}
}

// Closed waits until the server closes the connection and returns its
// close code, failing t when it stays open for the time given. Messages
// still arriving are skipped.
func (s *Subscription) Closed(t testing.TB, within time.Duration) websocket.StatusCode {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-s.msgs:
			if !ok {
				return websocket.CloseStatus(s.readErr)
			}
		case <-deadline:
			t.Fatalf("websocket still open after %s", within)
		}
	}
}
