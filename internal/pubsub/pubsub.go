// Package pubsub announces changes to every Shipwatch process over
// PostgreSQL LISTEN/NOTIFY, so a websocket subscriber connected to any
// replica hears what another replica's transaction wrote. Publish runs
// pg_notify inside the writing transaction: PostgreSQL delivers only when
// it commits, so only committed changes are announced. Payloads carry ids
// only; subscribers load the rest, scoped to their seller.
//
// Delivery is at most once: a message sent while a process's listening
// connection is down is lost to that process (webhook notifications are
// the reliable channel).
package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Channel is the NOTIFY channel every process listens on.
const Channel = "shipwatch_events"

// Topics.
const (
	TopicFlagRaised = "flag.raised"
	// TopicFlagResolved names flags resolved, automatically (a check or
	// the sweep) or by hand.
	TopicFlagResolved = "flag.resolved"
	// TopicFlagAcknowledged names flags marked seen.
	TopicFlagAcknowledged = "flag.acknowledged"
	TopicShipmentUpdated  = "shipment.updated"
	// TopicKeyRevoked names, in IDs, the prefix of an API key that was
	// revoked or deleted. Migration 0013's trigger sends it, so every way
	// of revoking announces it.
	TopicKeyRevoked = "apikey.revoked"
)

// maxIDs bounds the ids of one payload: PostgreSQL refuses payloads of
// 8000 bytes or more, and a UUID takes 39 bytes in JSON.
const maxIDs = 150

// Message is what one notification says: these ids of this seller changed.
type Message struct {
	Topic    string   `json:"t"`
	SellerID string   `json:"s"`
	IDs      []string `json:"ids"`
}

// Publish announces messages when the transaction q commits. Long id lists
// are split into several notifications; all go in one statement.
func Publish(ctx context.Context, q sqlx.ExecerContext, msgs ...Message) error {
	var payloads []string
	for _, m := range msgs {
		for start := 0; start < len(m.IDs); start += maxIDs {
			part := m
			part.IDs = m.IDs[start:min(start+maxIDs, len(m.IDs))]
			b, err := json.Marshal(part)
			if err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			payloads = append(payloads, string(b))
		}
	}
	if len(payloads) == 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, Channel, pq.Array(payloads)); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// Hub is one process's listening connection, fanning messages out to its
// subscribers.
type Hub struct {
	l    *pq.Listener
	log  *slog.Logger
	mu   sync.Mutex
	subs map[*sub]struct{}
	keys map[*keyWatch]struct{}
	done chan struct{}
}

type keyWatch struct {
	seller, prefix string
	ch             chan KeyEvent
}

// KeyEvent says that a watched API key was revoked, or that an
// announcement may have been missed (the listening connection was lost) so
// the key must be checked again.
type KeyEvent struct {
	Revoked bool
}

type sub struct {
	topics []string
	seller string
	ch     chan Message
}

// Listen connects to the database at dsn and listens on Channel; it
// returns once listening, or with an error when that takes longer than
// ctx allows.
func Listen(ctx context.Context, dsn string, log *slog.Logger) (*Hub, error) {
	h := &Hub{log: log, subs: map[*sub]struct{}{}, keys: map[*keyWatch]struct{}{}, done: make(chan struct{})}
	h.l = pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("pubsub connection", "event", ev.String(), "err", err)
		}
	})
	listened := make(chan error, 1)
	go func() { listened <- h.l.Listen(Channel) }()
	select {
	case err := <-listened:
		if err != nil {
			h.l.Close()
			return nil, fmt.Errorf("listen %s: %w", Channel, err)
		}
	case <-ctx.Done():
		h.l.Close()
		return nil, fmt.Errorf("listen %s: %w", Channel, ctx.Err())
	}
	go h.run()
	return h, nil
}

// run dispatches notifications until the listener closes, pinging the
// connection now and then so a dead one is noticed and replaced.
func (h *Hub) run() {
	defer close(h.done)
	ping := time.NewTicker(60 * time.Second)
	defer ping.Stop()
	for {
		select {
		case n, ok := <-h.l.Notify:
			if !ok {
				return
			}
			if n == nil { // reconnected: whatever was sent meanwhile is lost
				h.log.Warn("pubsub reconnected; notifications sent while disconnected were missed")
				h.notifyKeys(func(*keyWatch) bool { return true }, KeyEvent{})
				continue
			}
			var m Message
			if err := json.Unmarshal([]byte(n.Extra), &m); err != nil {
				h.log.Warn("pubsub: unreadable payload", "err", err)
				continue
			}
			h.dispatch(m)
		case <-ping.C:
			go h.l.Ping() //nolint:errcheck // a failed ping makes the listener reconnect
		}
	}
}

func (h *Hub) dispatch(m Message) {
	if m.Topic == TopicKeyRevoked {
		h.notifyKeys(func(w *keyWatch) bool { return w.seller == m.SellerID && slices.Contains(m.IDs, w.prefix) }, KeyEvent{Revoked: true})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.seller != m.SellerID || !slices.Contains(s.topics, m.Topic) {
			continue
		}
		select {
		case s.ch <- m:
		default: // a subscriber this far behind loses messages rather than stall the others
			h.log.Warn("pubsub: slow subscriber, message dropped", "topic", m.Topic, "seller_id", m.SellerID)
		}
	}
}

// Subscribe returns the messages of a topic for one seller until ctx ends
// or the hub closes; then the channel is closed.
func (h *Hub) Subscribe(ctx context.Context, topic, sellerID string) <-chan Message {
	return h.SubscribeTopics(ctx, sellerID, topic)
}

// SubscribeTopics is Subscribe to several topics on one channel, which
// keeps their messages in the order PostgreSQL delivered them (commit
// order): a flag's resolution never arrives before its raising.
func (h *Hub) SubscribeTopics(ctx context.Context, sellerID string, topics ...string) <-chan Message {
	s := &sub{topics: topics, seller: sellerID, ch: make(chan Message, 64)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-h.done:
		}
		h.mu.Lock()
		delete(h.subs, s)
		close(s.ch)
		h.mu.Unlock()
	}()
	return s.ch
}

// notifyKeys tells the key watchers that match. A watcher keeps at most
// one pending event: a revocation replaces a pending re-check.
func (h *Hub) notifyKeys(match func(*keyWatch) bool, ev KeyEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.keys {
		if !match(w) {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			if ev.Revoked {
				select {
				case <-w.ch:
				default:
				}
				w.ch <- ev
			}
		}
	}
}

// WatchKey returns the events of one seller's API key, named by its
// prefix, until ctx ends or the hub closes; then the channel is closed.
// Websocket connections watch the key they authenticated with.
func (h *Hub) WatchKey(ctx context.Context, sellerID, prefix string) <-chan KeyEvent {
	w := &keyWatch{seller: sellerID, prefix: prefix, ch: make(chan KeyEvent, 1)}
	h.mu.Lock()
	h.keys[w] = struct{}{}
	h.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-h.done:
		}
		h.mu.Lock()
		delete(h.keys, w)
		close(w.ch)
		h.mu.Unlock()
	}()
	return w.ch
}

// Close stops listening and closes every subscription.
func (h *Hub) Close() error {
	err := h.l.Close()
	<-h.done
	return err
}

// Subscribers returns how many subscriptions are open in this process.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
