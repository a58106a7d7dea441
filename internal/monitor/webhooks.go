package monitor

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"errors"
	"fmt"
	"github.com/jmoiron/sqlx"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// ErrWrongKey means a tracking source's secret was sealed under another
// key than this process holds (SHIPWATCH_SECRET_KEY differs between
// replicas, or a generated key file was lost). Its webhooks cannot be
// verified; they are answered 503 so the provider retries once fixed.
var ErrWrongKey = errors.New("the tracking source's secret was encrypted with another SHIPWATCH_SECRET_KEY")

// MaxSecretBytes bounds a webhook secret.
const MaxSecretBytes = 512

// Source is a live tracking source with its secret opened, for verifying
// the webhooks it receives.
type Source struct {
	store.TrackingSource
	Secret string
}

// Webhooks are the use cases of tracking sources and of the webhooks
// providers post to them.
type Webhooks struct {
	store     *store.Store
	key       *keyring.Key
	publicURL string
	inbox     *inbox
	cache     sourceCache
}

// NewWebhooks returns the webhook use cases. Secrets are sealed with key;
// deliveries are enqueued on client; webhook URLs start with publicURL
// ("" makes them paths).
func NewWebhooks(st *store.Store, client *jobs.Client, key *keyring.Key, publicURL string) *Webhooks {
	return &Webhooks{
		store:     st,
		key:       key,
		publicURL: strings.TrimRight(publicURL, "/"),
		inbox:     newInbox(st, client),
		cache:     sourceCache{ttl: sourceCacheTTL, entries: map[string]cachedSource{}},
	}
}

// WebhookPath is where a source's provider posts: a public contract,
// pasted into the provider's dashboard.
func WebhookPath(provider, sourceID string) string {
	seg := strings.ToLower(provider)
	if p, ok := providers[provider]; ok {
		seg = p.path
	}
	return "/webhooks/" + seg + "/" + sourceID
}

// WebhookURL is the address to paste into the provider's dashboard: the
// path under SHIPWATCH_PUBLIC_URL, or the path alone when it is not set.
// A Shippo source's URL carries its token, known only as the source is
// created; afterwards the URL shows where the token goes.
func (w *Webhooks) WebhookURL(src store.TrackingSource) string {
	u := w.publicURL + WebhookPath(src.Provider, src.ID)
	if src.Provider == ProviderShippo {
		token := src.Token
		if token == "" {
			token = "{token shown once, when the source was created}"
		}
		u += "?" + webhook.ShippoTokenParam + "=" + token
	}
	return u
}

// sealContext binds a sealed secret to its seller and provider, so a
// sealed value copied onto another row does not open.
func sealContext(sellerID, provider string) []byte {
	return []byte("tracking_source:" + sellerID + ":" + provider)
}

// NewSource is a tracking source a seller creates.
type NewSource struct {
	Provider string
	// Secret is the webhook secret set at (EasyPost) or given by
	// (AfterShip) the provider, or the 17TRACK account's security key.
	// For Shippo it is optional: the HMAC secret agreed with Shippo,
	// checked on top of the URL token Shipwatch makes.
	Secret string
	// AutoRegister registers every uploaded shipment with 17TRACK.
	AutoRegister bool
}

// tokenBytes is the entropy of a Shippo URL token.
const tokenBytes = 32

// CreateSource registers a tracking source. A Shippo source's token is on
// the returned value (Token, and in its WebhookURL), and nowhere else
// afterwards.
func (w *Webhooks) CreateSource(ctx context.Context, sellerID string, in NewSource) (store.TrackingSource, error) {
	if _, ok := providers[in.Provider]; !ok {
		return store.TrackingSource{}, &shipment.FieldError{Field: "provider", Message: clip.Quote(in.Provider) + " is not EASYPOST, AFTERSHIP, SEVENTEEN_TRACK or SHIPPO"}
	}
	if in.AutoRegister && in.Provider != ProviderSeventeenTrack {
		return store.TrackingSource{}, &shipment.FieldError{Field: "autoRegister", Message: "applies to SEVENTEEN_TRACK sources only"}
	}
	n := store.NewTrackingSource{Provider: in.Provider, KeyID: w.key.ID(), AutoRegister: in.AutoRegister}
	var token string
	if in.Provider == ProviderShippo {
		buf := make([]byte, tokenBytes)
		if _, err := rand.Read(buf); err != nil {
			return store.TrackingSource{}, fmt.Errorf("create tracking source: %w", err)
		}
		token = base64.RawURLEncoding.EncodeToString(buf)
		n.TokenHash = webhook.HashToken(token)
	}
	// A Shippo source's secret is optional: its HMAC secret, which Shippo
	// sets up on request, checked on top of the URL token.
	if in.Provider != ProviderShippo || in.Secret != "" {
		sealed, err := w.sealSecret(sellerID, in.Provider, in.Secret)
		if err != nil {
			return store.TrackingSource{}, err
		}
		n.SecretSealed = sealed
	}
	src, err := w.store.InsertTrackingSource(ctx, sellerID, n)
	if err != nil {
		return store.TrackingSource{}, err
	}
	src.Token = token
	return src, nil
}

// sealSecret checks a webhook secret and seals it for its seller and
// provider.
func (w *Webhooks) sealSecret(sellerID, provider, secret string) ([]byte, error) {
	if err := checkSecret(secret); err != nil {
		return nil, err
	}
	sealed, err := w.key.Seal([]byte(secret), sealContext(sellerID, provider))
	if err != nil {
		return nil, fmt.Errorf("seal webhook secret: %w", err)
	}
	return sealed, nil
}

func checkSecret(secret string) error {
	switch {
	case strings.TrimSpace(secret) == "":
		return &shipment.FieldError{Field: "secret", Message: "is required: the webhook secret set at the provider (17TRACK: the account's security key; Shippo: the HMAC secret agreed with Shippo)"}
	case len(secret) > MaxSecretBytes:
		return &shipment.FieldError{Field: "secret", Message: fmt.Sprintf("is longer than %d bytes", MaxSecretBytes)}
	case !utf8.ValidString(secret):
		return &shipment.FieldError{Field: "secret", Message: "is not valid UTF-8"}
	}
	return nil
}

// SourceUpdate is a change to a tracking source; nil fields stay as they are.
type SourceUpdate struct {
	// AutoRegister turns a 17TRACK source's registration of uploaded
	// shipments on or off.
	AutoRegister *bool
	// Secret replaces the webhook secret (a rotated EasyPost or AfterShip
	// secret, a new 17TRACK key), or sets a Shippo source's HMAC secret,
	// which "" removes (the URL token alone then authenticates it).
	Secret *string
}

// SetAutoRegister turns a 17TRACK source's registration of uploaded
// shipments on or off (UpdateSource with AutoRegister alone).
func (w *Webhooks) SetAutoRegister(ctx context.Context, sellerID, id string, on bool) (store.TrackingSource, error) {
	return w.UpdateSource(ctx, sellerID, id, SourceUpdate{AutoRegister: &on})
}

// UpdateSource applies u to one of the seller's live sources, in one
// transaction. Turning registration on also sends the numbers still
// pending (after a spent quota was topped up, say); shipments uploaded
// before the source registered are not registered. A new secret takes
// effect at once on this process, within the source cache's TTL on the
// others.
func (w *Webhooks) UpdateSource(ctx context.Context, sellerID, id string, u SourceUpdate) (store.TrackingSource, error) {
	var src store.TrackingSource
	err := w.store.Transact(ctx, func(tx *sqlx.Tx) error {
		cur, err := w.store.TrackingSource(ctx, sellerID, id)
		if err != nil {
			return err
		}
		src = cur
		if u.AutoRegister != nil && cur.Provider != ProviderSeventeenTrack {
			return &shipment.FieldError{Field: "autoRegister", Message: "applies to SEVENTEEN_TRACK sources only"}
		}
		if u.Secret != nil {
			var sealed []byte
			if cur.Provider != ProviderShippo || *u.Secret != "" {
				if sealed, err = w.sealSecret(sellerID, cur.Provider, *u.Secret); err != nil {
					return err
				}
			}
			if src, err = w.store.SetSourceSecret(ctx, tx, sellerID, id, sealed, w.key.ID()); err != nil {
				return err
			}
		}
		if u.AutoRegister == nil {
			return nil
		}
		if src, err = w.store.SetAutoRegister(ctx, tx, sellerID, id, *u.AutoRegister); err != nil || !*u.AutoRegister {
			return err
		}
		if _, err := w.inbox.client.InsertTx(ctx, tx.Tx, jobs.RegisterArgs{SellerID: sellerID, SourceID: id}, nil); err != nil {
			return fmt.Errorf("enqueue registration: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.TrackingSource{}, err
	}
	w.cache.forget(id)
	return src, nil
}

// DeleteSource stops a source at once on this process (other replicas
// within the cache TTL); deliveries it already acknowledged are still
// processed.
func (w *Webhooks) DeleteSource(ctx context.Context, sellerID, id string) (store.TrackingSource, error) {
	src, err := w.store.DeleteTrackingSource(ctx, sellerID, id)
	if err != nil {
		return store.TrackingSource{}, err
	}
	w.cache.forget(id)
	return src, nil
}

// Source returns the live source a webhook URL names, with its secret,
// for the given provider. A source of another provider is not found.
func (w *Webhooks) Source(ctx context.Context, provider, id string) (Source, error) {
	src, ok := w.cache.get(id)
	if !ok {
		row, err := w.store.WebhookSource(ctx, id)
		if err != nil {
			return Source{}, err
		}
		src = Source{TrackingSource: row}
		if row.SecretSealed != nil {
			if row.KeyID != w.key.ID() {
				return Source{}, fmt.Errorf("source %s sealed under key %s, this process has %s: %w", id, row.KeyID, w.key.ID(), ErrWrongKey)
			}
			secret, err := w.key.Open(row.SecretSealed, sealContext(row.SellerID, row.Provider))
			if err != nil {
				return Source{}, fmt.Errorf("source %s: %w", id, err)
			}
			src.Secret = string(secret)
		}
		src.SecretSealed = nil
		w.cache.put(id, src)
	}
	if src.Provider != provider {
		return Source{}, store.ErrNotFound
	}
	return src, nil
}

// Receive stores a verified, parsed webhook with its job, durably, and
// returns its delivery id: only then may the provider be told 2xx.
// Concurrent calls are written together in one transaction.
func (w *Webhooks) Receive(ctx context.Context, d store.NewWebhookDelivery) (int64, error) {
	return w.inbox.submit(ctx, d)
}

// Sources sealed under another key make every webhook to them fail:
// CheckKey says how many there are, for a warning on start.
func (w *Webhooks) CheckKey(ctx context.Context) (int, error) {
	return w.store.SourcesUnderOtherKeys(ctx, w.key.ID())
}

// sourceCacheTTL is how long a source (and its opened secret) is reused
// without reading it again: a deletion reaches other replicas within it.
const (
	sourceCacheTTL     = 10 * time.Second
	sourceCacheEntries = 10_000
)

type cachedSource struct {
	src     Source
	expires time.Time
}

// sourceCache spares each webhook a database read and a decryption.
type sourceCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]cachedSource
}

func (c *sourceCache) get(id string) (Source, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || time.Now().After(e.expires) {
		delete(c.entries, id)
		return Source{}, false
	}
	return e.src, true
}

func (c *sourceCache) put(id string, src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= sourceCacheEntries {
		clear(c.entries)
	}
	c.entries[id] = cachedSource{src: src, expires: time.Now().Add(c.ttl)}
}

func (c *sourceCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
