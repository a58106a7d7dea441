package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Session is a signed-in dashboard session: the seller and the API key it
// was opened with.
type Session struct {
	Seller   Seller
	APIKeyID string
	// KeyPrefix is the key's public prefix: live streams watch it for the
	// key's revocation (pubsub.Hub.WatchKey).
	KeyPrefix string
	ExpiresAt time.Time
}

// NewSessionToken returns a random session token (256 bits, URL-safe) and
// the digest stored for it.
func NewSessionToken() (token string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, SessionDigest(token), nil
}

// SessionDigest is what the database keeps of a session token.
func SessionDigest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// InsertSession opens a session for the seller of an unrevoked API key
// (Authenticate checked the key), valid for ttl. The seller is the key's,
// read in the same statement, so a session can never name another seller.
func (s *Store) InsertSession(ctx context.Context, digest []byte, apiKeyID string, ttl time.Duration) (time.Time, error) {
	var expires time.Time
	err := s.db.GetContext(ctx, &expires, `
		INSERT INTO dashboard_sessions (token_hash, seller_id, api_key_id, expires_at)
		SELECT $1, k.seller_id, k.id, now() + $3 * interval '1 microsecond'
		FROM api_keys k WHERE k.id = $2 AND k.revoked_at IS NULL
		RETURNING expires_at`, digest, apiKeyID, ttl.Microseconds())
	if err != nil {
		return time.Time{}, fmt.Errorf("insert session: %w", mapErr(err))
	}
	return expires, nil
}

// SessionByToken returns the session of a token's digest while it has not
// expired and its API key is not revoked; ErrNotFound otherwise.
func (s *Store) SessionByToken(ctx context.Context, digest []byte) (Session, error) {
	var row struct {
		Seller
		APIKeyID  string    `db:"api_key_id"`
		KeyPrefix string    `db:"prefix"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT se.id, se.name, se.time_zone, se.created_at, d.api_key_id, k.prefix, d.expires_at
		FROM dashboard_sessions d
		JOIN api_keys k ON k.id = d.api_key_id AND k.seller_id = d.seller_id
		JOIN sellers se ON se.id = d.seller_id
		WHERE d.token_hash = $1 AND d.expires_at > now() AND k.revoked_at IS NULL`, digest)
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", mapErr(err))
	}
	return Session{Seller: row.Seller, APIKeyID: row.APIKeyID, KeyPrefix: row.KeyPrefix, ExpiresAt: row.ExpiresAt}, nil
}

// DeleteSession ends a session (sign out). Ending one that is gone is
// harmless.
func (s *Store) DeleteSession(ctx context.Context, digest []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = $1`, digest); err != nil {
		return fmt.Errorf("delete session: %w", mapErr(err))
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired before now, so the
// table holds live ones only; it returns how many went.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", mapErr(err))
	}
	return res.RowsAffected()
}
