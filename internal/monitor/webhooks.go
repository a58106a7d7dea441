package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
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
	return "/webhooks/" + strings.ToLower(provider) + "/" + sourceID
}

// WebhookURL is the address to paste into the provider's dashboard: the
// path under SHIPWATCH_PUBLIC_URL, or the path alone when it is not set.
func (w *Webhooks) WebhookURL(src store.TrackingSource) string {
	return w.publicURL + WebhookPath(src.Provider, src.ID)
}

// sealContext binds a sealed secret to its seller and provider, so a
// sealed value copied onto another row does not open.
func sealContext(sellerID, provider string) []byte {
	return []byte("tracking_source:" + sellerID + ":" + provider)
}

// CreateSource registers a tracking source with the secret the seller set
// (EasyPost) or was given (AfterShip) at the provider.
func (w *Webhooks) CreateSource(ctx context.Context, sellerID, provider, secret string) (store.TrackingSource, error) {
	if provider != ProviderEasyPost && provider != ProviderAfterShip {
		return store.TrackingSource{}, &shipment.FieldError{Field: "provider", Message: clip.Quote(provider) + " is not EASYPOST or AFTERSHIP"}
	}
	switch {
	case strings.TrimSpace(secret) == "":
		return store.TrackingSource{}, &shipment.FieldError{Field: "secret", Message: "is required: the webhook secret set at the provider"}
	case len(secret) > MaxSecretBytes:
		return store.TrackingSource{}, &shipment.FieldError{Field: "secret", Message: fmt.Sprintf("is longer than %d bytes", MaxSecretBytes)}
	case !utf8.ValidString(secret):
		return store.TrackingSource{}, &shipment.FieldError{Field: "secret", Message: "is not valid UTF-8"}
	}
	sealed, err := w.key.Seal([]byte(secret), sealContext(sellerID, provider))
	if err != nil {
		return store.TrackingSource{}, fmt.Errorf("create tracking source: %w", err)
	}
	return w.store.InsertTrackingSource(ctx, sellerID, provider, sealed, w.key.ID())
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
		if row.KeyID != w.key.ID() {
			return Source{}, fmt.Errorf("source %s sealed under key %s, this process has %s: %w", id, row.KeyID, w.key.ID(), ErrWrongKey)
		}
		secret, err := w.key.Open(row.SecretSealed, sealContext(row.SellerID, row.Provider))
		if err != nil {
			return Source{}, fmt.Errorf("source %s: %w", id, err)
		}
		src = Source{TrackingSource: row, Secret: string(secret)}
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
