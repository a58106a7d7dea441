package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// A dashboard session is found by its token's digest while its key is
// unrevoked and it has not expired; revoking the key ends it, and the
// database keeps no token.
func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(dbtest.DB(t))
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := st.InsertAPIKey(ctx, seller.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, keyID, err := st.AuthenticateKey(ctx, secret)
	if err != nil || got.ID != seller.ID || keyID != key.ID {
		t.Fatalf("AuthenticateKey() = %+v, %q, %v; want %s, %s", got, keyID, err, seller.ID, key.ID)
	}
	token, digest, err := store.NewSessionToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertSession(ctx, digest, key.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	sess, err := st.SessionByToken(ctx, store.SessionDigest(token))
	if err != nil || sess.Seller.ID != seller.ID || sess.APIKeyID != key.ID {
		t.Fatalf("SessionByToken() = %+v, %v", sess, err)
	}
	if _, err := st.SessionByToken(ctx, store.SessionDigest(token+"x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionByToken(another token) error = %v, want ErrNotFound", err)
	}

	// A short session expires, and the sweep removes it.
	_, short, _ := store.NewSessionToken()
	if _, err := st.InsertSession(ctx, short, key.ID, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByToken(ctx, short); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionByToken(expired) error = %v, want ErrNotFound", err)
	}
	if n, err := st.DeleteExpiredSessions(ctx); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions() = %d, %v; want 1", n, err)
	}

	if _, err := st.RevokeAPIKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByToken(ctx, store.SessionDigest(token)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionByToken() after the key was revoked: error = %v, want ErrNotFound", err)
	}
	if _, err := st.InsertSession(ctx, digest, key.ID, time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertSession(revoked key) error = %v, want ErrNotFound", err)
	}
	if err := st.DeleteSession(ctx, digest); err != nil {
		t.Fatal(err)
	}
}
