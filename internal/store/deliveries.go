package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NewWebhookDelivery is a webhook as received, to store before answering it.
type NewWebhookDelivery struct {
	SellerID        string
	SourceID        string
	Provider        string
	ProviderEventID string
	// Headers are the request headers to keep, credentials already removed.
	Headers map[string][]string
	Body    []byte
}

// WebhookDelivery is a webhook_deliveries row.
type WebhookDelivery struct {
	ID              int64      `db:"id"`
	SellerID        string     `db:"seller_id"`
	SourceID        string     `db:"source_id"`
	Provider        string     `db:"provider"`
	ProviderEventID string     `db:"provider_event_id"`
	Headers         []byte     `db:"headers"`
	Body            []byte     `db:"body"`
	ReceivedAt      time.Time  `db:"received_at"`
	ProcessedAt     *time.Time `db:"processed_at"`
	Events          *int       `db:"events"`
	Error           *string    `db:"error"`
}

const webhookDeliveryColumns = `id, seller_id, source_id, provider, provider_event_id, headers, body,
	received_at, processed_at, events, error`

// InsertWebhookDeliveries stores webhooks in one statement and returns their ids
// in the order given.
func (s *Store) InsertWebhookDeliveries(ctx context.Context, q sqlx.ExtContext, ds []NewWebhookDelivery) ([]int64, error) {
	ids := []int64{}
	if len(ds) == 0 {
		return ids, nil
	}
	n := len(ds)
	ord, sellers, sources, providers, eventIDs, headers, bodies :=
		make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([][]byte, n)
	for i, d := range ds {
		h, err := json.Marshal(d.Headers)
		if err != nil {
			return nil, fmt.Errorf("insert deliveries: encode headers: %w", err)
		}
		ord[i], sellers[i], sources[i], providers[i], eventIDs[i], headers[i], bodies[i] =
			int64(i), d.SellerID, d.SourceID, d.Provider, d.ProviderEventID, string(h), d.Body
	}
	err := sqlx.SelectContext(ctx, q, &ids, `
		WITH written AS (
			INSERT INTO webhook_deliveries (seller_id, source_id, provider, provider_event_id, headers, body)
			SELECT seller_id, source_id, provider, provider_event_id, headers::jsonb, body
			FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bytea[])
				AS i(ord, seller_id, source_id, provider, provider_event_id, headers, body)
			ORDER BY ord
			RETURNING id
		)
		SELECT id FROM written ORDER BY id`,
		pq.Array(ord), pq.Array(sellers), pq.Array(sources), pq.Array(providers), pq.Array(eventIDs),
		pq.Array(headers), pq.Array(bodies))
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: %w", mapErr(err))
	}
	if len(ids) != n {
		return nil, fmt.Errorf("insert deliveries: %d rows written for %d", len(ids), n)
	}
	return ids, nil
}

// PendingWebhookDeliveries locks and returns the deliveries among ids that are
// not processed yet, in id order. A delivery being processed by another
// transaction is waited for, and left out if that one marked it processed.
func (s *Store) PendingWebhookDeliveries(ctx context.Context, q sqlx.ExtContext, ids []int64) ([]WebhookDelivery, error) {
	rows := []WebhookDelivery{}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries
		WHERE id = ANY($1) AND processed_at IS NULL ORDER BY id FOR UPDATE`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("pending deliveries: %w", mapErr(err))
	}
	return rows, nil
}

// ClaimWebhookDeliveries locks and returns, in id order, the deliveries
// among ids that are not processed yet and, with them, up to more other
// unprocessed deliveries, oldest first. Unlike PendingWebhookDeliveries it
// never waits: a delivery another transaction holds is being processed
// by it, or will be by its job's retry, and is left out.
//
// This is what lets a processing job work in large batches: jobs are
// enqueued one per stored batch of webhooks, a handful each under load,
// and the first job to run takes what the others were enqueued for,
// which then find nothing left. Every statement of processing is set-based,
// so its cost is per batch far more than per event.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, q sqlx.ExtContext, ids []int64, more int) ([]WebhookDelivery, error) {
	rows := []WebhookDelivery{}
	// The second part reads webhook_deliveries_pending_idx in its order,
	// so it stops after more rows whatever the planner believes.
	err := sqlx.SelectContext(ctx, q, &rows, `
		WITH own AS (
			SELECT id FROM webhook_deliveries
			WHERE id = ANY($1::bigint[]) AND processed_at IS NULL
			ORDER BY id FOR UPDATE SKIP LOCKED
		), others AS (
			SELECT id FROM webhook_deliveries
			WHERE processed_at IS NULL AND id <> ALL($1::bigint[])
			ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
		)
		SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries
		WHERE id IN (SELECT id FROM own UNION ALL SELECT id FROM others)
		ORDER BY id`, pq.Array(ids), more)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", mapErr(err))
	}
	return rows, nil
}

// StaleWebhookDeliveries returns up to limit ids of deliveries received before
// olderThan and still not processed, oldest first: their job was lost
// (a crash between attempts) or keeps failing.
func (s *Store) StaleWebhookDeliveries(ctx context.Context, olderThan time.Time, limit int) ([]int64, error) {
	ids := []int64{}
	err := s.db.SelectContext(ctx, &ids, `SELECT id FROM webhook_deliveries
		WHERE processed_at IS NULL AND received_at < $1 ORDER BY received_at LIMIT $2`, olderThan, limit)
	if err != nil {
		return nil, fmt.Errorf("stale deliveries: %w", mapErr(err))
	}
	return ids, nil
}

// WebhookDeliveryOutcome is what processing made of one delivery.
type WebhookDeliveryOutcome struct {
	ID     int64
	Events int
	// Error is why the body could not be used; "" when it was.
	Error string
}

// MarkWebhookDeliveriesProcessed records outcomes, in the transaction that
// stored the deliveries' events.
func (s *Store) MarkWebhookDeliveriesProcessed(ctx context.Context, q sqlx.ExtContext, outs []WebhookDeliveryOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	ids, events, errs := make([]int64, len(outs)), make([]int64, len(outs)), make([]string, len(outs))
	for i, o := range outs {
		ids[i], events[i], errs[i] = o.ID, int64(o.Events), o.Error
	}
	_, err := q.ExecContext(ctx, `
		UPDATE webhook_deliveries d SET processed_at = now(), events = o.events, error = nullif(o.error, '')
		FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS o(id, events, error)
		WHERE d.id = o.id`, pq.Array(ids), pq.Array(events), pq.Array(errs))
	if err != nil {
		return fmt.Errorf("mark deliveries processed: %w", mapErr(err))
	}
	return nil
}
