package store

import (
	"context"
	"fmt"
)

// KeyPrefix returns the public prefix of an API key ("sw_" and 8
// characters), which names the key in logs, limits and revocation
// announcements without revealing it; "" when key has not the form of one.
func KeyPrefix(key string) string {
	prefix, _, ok := cutKey(key)
	if !ok {
		return ""
	}
	return prefix
}

// APIKeyActive reports whether the seller's key with this prefix exists
// and is not revoked: open websocket subscriptions re-check their key with
// it when a revocation announcement may have been missed.
func (s *Store) APIKeyActive(ctx context.Context, sellerID, prefix string) (bool, error) {
	var active bool
	err := s.db.GetContext(ctx, &active, `
		SELECT EXISTS (SELECT 1 FROM api_keys WHERE seller_id = $1 AND prefix = $2 AND revoked_at IS NULL)`, sellerID, prefix)
	if err != nil {
		return false, fmt.Errorf("api key active: %w", err)
	}
	return active, nil
}
