package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
)

// Seller is a tenant: everything else belongs to exactly one seller.
type Seller struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	TimeZone  string    `db:"time_zone"`
	CreatedAt time.Time `db:"created_at"`
}

// APIKey describes a key without its secret part.
type APIKey struct {
	ID         string     `db:"id" json:"id"`
	SellerID   string     `db:"seller_id" json:"seller_id"`
	Prefix     string     `db:"prefix" json:"prefix"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

// keyEncoding spells keys in lower-case base32 without padding: safe in
// headers, shells and URLs.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// InsertSeller creates a seller.
func (s *Store) InsertSeller(ctx context.Context, name string) (Seller, error) {
	var sel Seller
	err := s.db.GetContext(ctx, &sel, `
		INSERT INTO sellers (name) VALUES ($1)
		RETURNING id, name, time_zone, created_at`, name)
	if err != nil {
		return Seller{}, fmt.Errorf("insert seller: %w", mapErr(err))
	}
	return sel, nil
}

// Seller returns one seller.
func (s *Store) Seller(ctx context.Context, sellerID string) (Seller, error) {
	var sel Seller
	err := s.db.GetContext(ctx, &sel, `SELECT id, name, time_zone, created_at FROM sellers WHERE id = $1`, sellerID)
	if err != nil {
		return Seller{}, fmt.Errorf("seller: %w", mapErr(err))
	}
	return sel, nil
}

// InsertAPIKey creates a key for a seller and returns it with the full
// key text, which is never stored and cannot be read again.
func (s *Store) InsertAPIKey(ctx context.Context, sellerID string) (APIKey, string, error) {
	var raw [25]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return APIKey{}, "", fmt.Errorf("generate key: %w", err)
	}
	enc := keyEncoding.EncodeToString(raw[:])
	prefix := "sw_" + enc[:8]
	key := prefix + "_" + enc[8:]
	digest := sha256.Sum256([]byte(key))
	var k APIKey
	err := s.db.GetContext(ctx, &k, `
		INSERT INTO api_keys (seller_id, prefix, digest) VALUES ($1, $2, $3)
		RETURNING id, seller_id, prefix, created_at, revoked_at, last_used_at`,
		sellerID, prefix, digest[:])
	if err != nil {
		return APIKey{}, "", fmt.Errorf("insert api key: %w", mapErr(err))
	}
	return k, key, nil
}

// APIKeys lists a seller's keys, oldest first.
func (s *Store) APIKeys(ctx context.Context, sellerID string) ([]APIKey, error) {
	keys := []APIKey{}
	err := s.db.SelectContext(ctx, &keys, `
		SELECT id, seller_id, prefix, created_at, revoked_at, last_used_at
		FROM api_keys WHERE seller_id = $1 ORDER BY created_at, id`, sellerID)
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", mapErr(err))
	}
	return keys, nil
}

// RevokeAPIKey revokes a key; revoking twice keeps the first time.
func (s *Store) RevokeAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	var k APIKey
	err := s.db.GetContext(ctx, &k, `
		UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
		RETURNING id, seller_id, prefix, created_at, revoked_at, last_used_at`, keyID)
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke api key: %w", mapErr(err))
	}
	return k, nil
}

// Authenticate returns the seller owning an unrevoked key, or ErrNotFound.
// The key is found by its public prefix and compared by digest in constant
// time.
func (s *Store) Authenticate(ctx context.Context, key string) (Seller, error) {
	seller, _, err := s.AuthenticateKey(ctx, key)
	return seller, err
}

// AuthenticateKey is Authenticate that also returns the key's id, which a
// dashboard session is tied to.
func (s *Store) AuthenticateKey(ctx context.Context, key string) (Seller, string, error) {
	prefix, _, ok := cutKey(key)
	if !ok {
		return Seller{}, "", ErrNotFound
	}
	var row struct {
		Seller
		KeyID  string `db:"key_id"`
		Digest []byte `db:"digest"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT s.id, s.name, s.time_zone, s.created_at, k.id AS key_id, k.digest
		FROM api_keys k JOIN sellers s ON s.id = k.seller_id
		WHERE k.prefix = $1 AND k.revoked_at IS NULL`, prefix)
	if err != nil {
		return Seller{}, "", fmt.Errorf("authenticate: %w", mapErr(err))
	}
	digest := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(digest[:], row.Digest) != 1 {
		return Seller{}, "", ErrNotFound
	}
	// last_used_at is advisory: at most one write a minute per key.
	_, err = s.db.ExecContext(ctx, `
		UPDATE api_keys SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, row.KeyID)
	if err != nil {
		return Seller{}, "", fmt.Errorf("authenticate: %w", err)
	}
	return row.Seller, row.KeyID, nil
}

// cutKey splits "sw_<8>_<rest>" into its prefix and secret.
func cutKey(key string) (prefix, secret string, ok bool) {
	if len(key) < 13 || !strings.HasPrefix(key, "sw_") || key[11] != '_' {
		return "", "", false
	}
	return key[:11], key[12:], true
}
