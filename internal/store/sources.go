package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// TrackingSource is a tracking_sources row: where one of a seller's
// tracking providers posts its webhooks. The secret stays sealed here;
// only the use case that verifies signatures opens it.
type TrackingSource struct {
	ID           string `db:"id"`
	SellerID     string `db:"seller_id"`
	Provider     string `db:"provider"`
	SecretSealed []byte `db:"secret_sealed"`
	KeyID        string `db:"key_id"`
	// TokenHash is the SHA-256 of a Shippo source's URL token.
	TokenHash []byte `db:"token_hash"`
	// AutoRegister: every uploaded shipment's number is registered with
	// the provider (17TRACK).
	AutoRegister bool `db:"auto_register"`
	// LastError is what the provider last answered to a failed call
	// (registration), cleared by the next success.
	LastError     *string    `db:"last_error"`
	LastErrorAt   *time.Time `db:"last_error_at"`
	LastSuccessAt *time.Time `db:"last_success_at"`
	CreatedAt     time.Time  `db:"created_at"`
	DeletedAt     *time.Time `db:"deleted_at"`
	// Token is the URL token of a Shippo source as created: set only on
	// the value InsertTrackingSource's caller returns, never read back.
	Token string `db:"-"`
}

// HasSecret says whether the source holds a sealed webhook secret: every
// live source but a Shippo one without an HMAC secret.
func (t TrackingSource) HasSecret() bool { return len(t.SecretSealed) > 0 }

const sourceColumns = `id, seller_id, provider, secret_sealed, key_id, token_hash, auto_register,
	last_error, last_error_at, last_success_at, created_at, deleted_at`

// NewTrackingSource is a source to create: a sealed secret, a token hash,
// or both.
type NewTrackingSource struct {
	Provider     string
	SecretSealed []byte
	KeyID        string
	TokenHash    []byte
	AutoRegister bool
}

// InsertTrackingSource creates a source with its sealed secret or token hash.
func (s *Store) InsertTrackingSource(ctx context.Context, sellerID string, n NewTrackingSource) (TrackingSource, error) {
	var src TrackingSource
	err := s.db.GetContext(ctx, &src, `
		INSERT INTO tracking_sources (seller_id, provider, secret_sealed, key_id, token_hash, auto_register)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING `+sourceColumns, sellerID, n.Provider, n.SecretSealed, n.KeyID, n.TokenHash, n.AutoRegister)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("insert tracking source: %w", mapErr(err))
	}
	return src, nil
}

// TrackingSources lists a seller's live sources, newest first.
func (s *Store) TrackingSources(ctx context.Context, sellerID string, limit int, after Cursor) (Page[TrackingSource], error) {
	at, aid := after.after()
	rows := []TrackingSource{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sourceColumns+` FROM tracking_sources
		WHERE seller_id = $1 AND deleted_at IS NULL
			AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, at, aid, limit+1)
	if err != nil {
		return Page[TrackingSource]{}, fmt.Errorf("tracking sources: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(t TrackingSource) Cursor { return Cursor{Time: t.CreatedAt, ID: t.ID} }), nil
}

// DeleteTrackingSource stops a live source: its webhooks are refused from
// now on and its secret is erased. The row stays, so the deliveries it
// already acknowledged keep their source and are still processed.
func (s *Store) DeleteTrackingSource(ctx context.Context, sellerID, id string) (TrackingSource, error) {
	var src TrackingSource
	err := s.db.GetContext(ctx, &src, `
		UPDATE tracking_sources SET deleted_at = now(), secret_sealed = NULL, token_hash = NULL, auto_register = false
		WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING `+sourceColumns, sellerID, id)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("delete tracking source: %w", mapErr(err))
	}
	return src, nil
}

// WebhookSource returns a live source by id alone. It is the one read of
// tenant data not scoped by a seller: a webhook carries no API key, and
// the source id in its URL followed by the signature made with the
// source's secret is what authenticates it and names the seller.
func (s *Store) WebhookSource(ctx context.Context, id string) (TrackingSource, error) {
	var src TrackingSource
	err := s.db.GetContext(ctx, &src, `SELECT `+sourceColumns+` FROM tracking_sources
		WHERE id = $1 AND deleted_at IS NULL`, id)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("webhook source: %w", mapErr(err))
	}
	return src, nil
}

// SourcesUnderOtherKeys counts live sources sealed under a key other than
// keyID: a process that holds the wrong key logs it on start.
func (s *Store) SourcesUnderOtherKeys(ctx context.Context, keyID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tracking_sources
		WHERE deleted_at IS NULL AND secret_sealed IS NOT NULL AND key_id <> $1`, keyID)
	if err != nil {
		return 0, fmt.Errorf("count sources by key: %w", mapErr(err))
	}
	return n, nil
}

// TrackingSource returns one of the seller's live sources.
func (s *Store) TrackingSource(ctx context.Context, sellerID, id string) (TrackingSource, error) {
	var src TrackingSource
	err := s.db.GetContext(ctx, &src, `SELECT `+sourceColumns+` FROM tracking_sources
		WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL`, sellerID, id)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("tracking source: %w", mapErr(err))
	}
	return src, nil
}

// SetAutoRegister turns a live 17TRACK source's registration on or off.
func (s *Store) SetAutoRegister(ctx context.Context, q sqlx.ExtContext, sellerID, id string, on bool) (TrackingSource, error) {
	var src TrackingSource
	err := sqlx.GetContext(ctx, q, &src, `UPDATE tracking_sources SET auto_register = $3
		WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING `+sourceColumns, sellerID, id, on)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("set auto register: %w", mapErr(err))
	}
	return src, nil
}

// SetSourceSecret replaces a live source's sealed secret (nil removes a
// Shippo source's HMAC secret; the schema refuses removing any other
// source's) and the id of the key that sealed it.
func (s *Store) SetSourceSecret(ctx context.Context, q sqlx.ExtContext, sellerID, id string, sealed []byte, keyID string) (TrackingSource, error) {
	var src TrackingSource
	err := sqlx.GetContext(ctx, q, &src, `UPDATE tracking_sources SET secret_sealed = $3, key_id = $4
		WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING `+sourceColumns, sellerID, id, sealed, keyID)
	if err != nil {
		return TrackingSource{}, fmt.Errorf("set source secret: %w", mapErr(err))
	}
	return src, nil
}

// RecordSourceError keeps what the provider answered to a failed call.
func (s *Store) RecordSourceError(ctx context.Context, sellerID, id, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tracking_sources SET last_error = left($3, 1000), last_error_at = now()
		WHERE seller_id = $1 AND id = $2`, sellerID, id, message)
	if err != nil {
		return fmt.Errorf("record source error: %w", mapErr(err))
	}
	return nil
}

// RecordSourceSuccess notes a call that succeeded and clears the last error.
func (s *Store) RecordSourceSuccess(ctx context.Context, sellerID, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tracking_sources SET last_error = NULL, last_success_at = now()
		WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return fmt.Errorf("record source success: %w", mapErr(err))
	}
	return nil
}
