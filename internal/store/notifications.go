package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NotificationEndpoint is where a seller's back office receives
// notifications. Secret is sealed (see internal/secret): never the clear
// signing secret.
type NotificationEndpoint struct {
	SellerID  string    `db:"seller_id"`
	URL       string    `db:"url"`
	Secret    []byte    `db:"secret"`
	CreatedAt time.Time `db:"created_at"`
}

// SetNotificationEndpoint sets or replaces the seller's endpoint.
func (s *Store) SetNotificationEndpoint(ctx context.Context, sellerID, url string, sealed []byte) (NotificationEndpoint, error) {
	var ep NotificationEndpoint
	err := s.db.GetContext(ctx, &ep, `
		INSERT INTO notification_endpoints (seller_id, url, secret) VALUES ($1, $2, $3)
		ON CONFLICT (seller_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, created_at = now()
		RETURNING seller_id, url, secret, created_at`, sellerID, url, sealed)
	if err != nil {
		return NotificationEndpoint{}, fmt.Errorf("set notification endpoint: %w", mapErr(err))
	}
	return ep, nil
}

// NotificationEndpoint returns the seller's endpoint, or ErrNotFound.
func (s *Store) NotificationEndpoint(ctx context.Context, sellerID string) (NotificationEndpoint, error) {
	var ep NotificationEndpoint
	err := s.db.GetContext(ctx, &ep, `SELECT seller_id, url, secret, created_at FROM notification_endpoints WHERE seller_id = $1`, sellerID)
	if err != nil {
		return NotificationEndpoint{}, fmt.Errorf("notification endpoint: %w", mapErr(err))
	}
	return ep, nil
}

// DeleteNotificationEndpoint removes the seller's endpoint; deleted is
// false when there was none.
func (s *Store) DeleteNotificationEndpoint(ctx context.Context, sellerID string) (deleted bool, err error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notification_endpoints WHERE seller_id = $1`, sellerID)
	if err != nil {
		return false, fmt.Errorf("delete notification endpoint: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// NotifiedSellers returns which of the sellers have an endpoint.
func (s *Store) NotifiedSellers(ctx context.Context, q sqlx.QueryerContext, sellerIDs []string) (map[string]bool, error) {
	ids := []string{}
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT seller_id FROM notification_endpoints WHERE seller_id = ANY($1::uuid[])`, pq.Array(sellerIDs))
	if err != nil {
		return nil, fmt.Errorf("notified sellers: %w", mapErr(err))
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Delivery states.
const (
	DeliveryPending   = "PENDING"
	DeliveryRetrying  = "RETRYING"
	DeliveryDelivered = "DELIVERED"
	DeliveryFailed    = "FAILED"
	DeliveryCancelled = "CANCELLED"
)

// Attempt is one try at delivering a notification.
type Attempt struct {
	At time.Time `json:"at"`
	// StatusCode is the HTTP status answered, 0 when there was no answer.
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"durationMs"`
}

// Attempts is a delivery's attempts, stored as a JSON array.
type Attempts []Attempt

// Scan implements sql.Scanner.
func (a *Attempts) Scan(v any) error {
	b, ok := v.([]byte)
	if !ok {
		return fmt.Errorf("attempts: %T is not bytes", v)
	}
	return json.Unmarshal(b, a)
}

// Delivery is one notification to a seller's endpoint and what became of it.
type Delivery struct {
	ID           string     `db:"id"`
	SellerID     string     `db:"seller_id"`
	Event        string     `db:"event"`
	Payload      string     `db:"payload"`
	State        string     `db:"state"`
	Attempts     Attempts   `db:"attempts"`
	AttemptCount int        `db:"attempt_count"`
	CreatedAt    time.Time  `db:"created_at"`
	FinishedAt   *time.Time `db:"finished_at"`
}

const deliveryColumns = `id, seller_id, event, payload, state, attempts, attempt_count, created_at, finished_at`

// NewDelivery is a notification to record before it is sent.
type NewDelivery struct {
	ID       string
	SellerID string
	Event    string
	Payload  []byte
}

// InsertDeliveries records notifications to send, in one statement.
func (s *Store) InsertDeliveries(ctx context.Context, q sqlx.ExecerContext, ds []NewDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	ids, sellers, events, payloads := make([]string, len(ds)), make([]string, len(ds)), make([]string, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		ids[i], sellers[i], events[i], payloads[i] = d.ID, d.SellerID, d.Event, string(d.Payload)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO notification_deliveries (id, seller_id, event, payload)
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])`,
		pq.Array(ids), pq.Array(sellers), pq.Array(events), pq.Array(payloads))
	if err != nil {
		return fmt.Errorf("insert deliveries: %w", mapErr(err))
	}
	return nil
}

// Delivery returns one of the seller's deliveries.
func (s *Store) Delivery(ctx context.Context, sellerID, id string) (Delivery, error) {
	var d Delivery
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM notification_deliveries WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery: %w", mapErr(err))
	}
	return d, nil
}

// RecordAttempt appends an attempt to a delivery and sets its state; a
// delivery that reached a final state is left alone.
func (s *Store) RecordAttempt(ctx context.Context, sellerID, id string, a Attempt, state string) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `
		UPDATE notification_deliveries SET attempts = attempts || jsonb_build_array($3::jsonb),
			attempt_count = attempt_count + 1, state = $4,
			finished_at = CASE WHEN $4 IN ('DELIVERED', 'FAILED', 'CANCELLED') THEN now() END
		WHERE seller_id = $1 AND id = $2 AND state IN ('PENDING', 'RETRYING')`, sellerID, id, string(raw), state)
	if err != nil {
		return fmt.Errorf("record attempt: %w", mapErr(err))
	}
	return nil
}

// FinishDelivery sets a final state without an attempt (the endpoint was
// removed).
func (s *Store) FinishDelivery(ctx context.Context, sellerID, id, state string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE notification_deliveries SET state = $3, finished_at = now()
		WHERE seller_id = $1 AND id = $2 AND state IN ('PENDING', 'RETRYING')`, sellerID, id, state)
	if err != nil {
		return fmt.Errorf("finish delivery: %w", mapErr(err))
	}
	return nil
}

// Deliveries lists the seller's deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, sellerID string, limit int, after Cursor) (Page[Delivery], error) {
	at, aid := after.after()
	rows := []Delivery{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+deliveryColumns+` FROM notification_deliveries
		WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, at, aid, limit+1)
	if err != nil {
		return Page[Delivery]{}, fmt.Errorf("deliveries: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(d Delivery) Cursor { return Cursor{Time: d.CreatedAt, ID: d.ID} }), nil
}

// ShipmentsByIDTx is ShipmentsByID inside a transaction, for payloads
// that must show what the transaction wrote.
func (s *Store) ShipmentsByIDTx(ctx context.Context, q sqlx.QueryerContext, sellerID string, ids []string) ([]Shipment, error) {
	out := []Shipment{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND id = ANY($2::uuid[])`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("shipments by id: %w", mapErr(err))
	}
	return out, nil
}
