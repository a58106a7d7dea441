package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Carriers are the use cases of carrier accounts: the seller's own
// credentials for UPS, FedEx and USPS tracking, and the polling that uses
// them (poll.go).
type Carriers struct {
	svc   *Service
	store *store.Store
	key   *keyring.Key
	guard *netguard.Guard
	http  *http.Client
	sleep func(context.Context, time.Duration) error
	// Policy is the poll schedule; Concurrency the requests an account
	// has in flight at once.
	policy      carrier.Policy
	concurrency int
	// budgets are the operator's defaults per carrier, replacing the
	// carrier's own (carrier.DefaultBudget).
	budgets map[carrier.Carrier][2]int

	mu sync.Mutex
	// clients by account id: tokens outlive one poll run; a client of an
	// older revision of its account is replaced.
	clients map[string]cachedClient
}

// CarriersOption configures Carriers.
type CarriersOption func(*Carriers)

// WithCarrierGuard sets the guard that checks a CUSTOM base URL and every
// connection to a carrier (by default one that allows no private range).
func WithCarrierGuard(g *netguard.Guard) CarriersOption { return func(c *Carriers) { c.guard = g } }

// WithCarrierSleep sets how the clients wait out a short Retry-After;
// tests pass their simulated clock's.
func WithCarrierSleep(sleep func(context.Context, time.Duration) error) CarriersOption {
	return func(c *Carriers) { c.sleep = sleep }
}

// WithPollPolicy sets the poll schedule (carrier.DefaultPolicy otherwise).
func WithPollPolicy(p carrier.Policy) CarriersOption { return func(c *Carriers) { c.policy = p } }

// WithPollConcurrency sets how many requests an account has in flight.
func WithPollConcurrency(n int) CarriersOption {
	return func(c *Carriers) { c.concurrency = max(1, n) }
}

// WithDefaultBudgets sets the operator's default hourly and daily request
// budgets per carrier, for accounts whose seller set none.
func WithDefaultBudgets(b map[carrier.Carrier][2]int) CarriersOption {
	return func(c *Carriers) { c.budgets = b }
}

// Budget returns the account's hourly and daily request budgets: the
// seller's, else the operator's default, else the carrier's.
func (c *Carriers) Budget(acct store.CarrierAccount) (hourly, daily int) {
	car := carrier.Carrier(acct.Carrier)
	hourly, daily = car.DefaultBudget()
	if b, ok := c.budgets[car]; ok {
		hourly, daily = b[0], b[1]
	}
	if acct.HourlyBudget != nil {
		hourly = *acct.HourlyBudget
	}
	if acct.DailyBudget != nil {
		daily = *acct.DailyBudget
	}
	return hourly, daily
}

// NewCarriers returns the carrier-account use cases over svc (whose clock
// they read and through which polled events are recorded), sealing
// credentials with key.
func NewCarriers(svc *Service, key *keyring.Key, opts ...CarriersOption) *Carriers {
	c := &Carriers{svc: svc, store: svc.store, key: key, guard: netguard.New(nil, nil), policy: carrier.DefaultPolicy,
		concurrency: 32, clients: map[string]cachedClient{}}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = carrierHTTPClient(c.guard)
	}
	if c.sleep == nil {
		c.sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return c
}

// carrierHTTPClient dials through the guard, ignores proxies (a proxy
// would dial on the guard's behalf) and follows no redirect.
func carrierHTTPClient(g *netguard.Guard) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// cachedClient is an account's client as of one revision of the account.
type cachedClient struct {
	client   *carrier.Client
	revision int
}

// CarrierAccountInput is what a seller gives to add an account.
type CarrierAccountInput struct {
	Carrier      carrier.Carrier
	Environment  carrier.Environment
	BaseURL      string
	ClientID     string
	ClientSecret string
	HourlyBudget *int
	DailyBudget  *int
}

// Bounds of an account's input.
const (
	maxCredentialBytes = 512
	maxHourlyBudget    = 1_000_000
	maxDailyBudget     = 10_000_000
)

func credentialContext(sellerID string, c carrier.Carrier) []byte {
	return []byte("carrier_account:" + sellerID + ":" + string(c))
}

// CreateCarrierAccount validates and stores an account, its credentials
// sealed. It does not call the carrier: TestCarrierAccount does.
func (c *Carriers) CreateCarrierAccount(ctx context.Context, sellerID string, in CarrierAccountInput) (store.CarrierAccount, error) {
	if !in.Carrier.Valid() {
		return store.CarrierAccount{}, &shipment.FieldError{Field: "carrier", Message: clip.Quote(string(in.Carrier)) + " is not UPS, FEDEX or USPS"}
	}
	if in.Environment == "" {
		in.Environment = carrier.Production
	}
	if !in.Environment.Valid() {
		return store.CarrierAccount{}, &shipment.FieldError{Field: "environment", Message: clip.Quote(string(in.Environment)) + " is not PRODUCTION, SANDBOX or CUSTOM"}
	}
	base, err := c.checkBaseURL(ctx, in.Environment, in.BaseURL)
	if err != nil {
		return store.CarrierAccount{}, err
	}
	for _, f := range []struct{ name, v string }{{"clientId", in.ClientID}, {"clientSecret", in.ClientSecret}} {
		if err := checkCredential(f.name, f.v); err != nil {
			return store.CarrierAccount{}, err
		}
	}
	if err := checkBudgets(in.HourlyBudget, in.DailyBudget); err != nil {
		return store.CarrierAccount{}, err
	}
	sealed, hint, err := c.seal(sellerID, in.Carrier, carrier.Credentials{ClientID: in.ClientID, ClientSecret: in.ClientSecret})
	if err != nil {
		return store.CarrierAccount{}, fmt.Errorf("create carrier account: %w", err)
	}
	acct, err := c.store.InsertCarrierAccount(ctx, sellerID, store.NewCarrierAccount{Carrier: string(in.Carrier),
		Environment: string(in.Environment), BaseURL: base, ClientIDHint: hint, Sealed: sealed,
		KeyID: c.key.ID(), HourlyBudget: in.HourlyBudget, DailyBudget: in.DailyBudget})
	if errors.Is(err, store.ErrConflict) {
		return store.CarrierAccount{}, &shipment.FieldError{Field: "carrier", Message: "already has an account: remove it first (one account per carrier)"}
	}
	return acct, err
}

// checkCredential checks one credential field of the input.
func checkCredential(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return &shipment.FieldError{Field: field, Message: "is required"}
	case len(v) > maxCredentialBytes:
		return &shipment.FieldError{Field: field, Message: fmt.Sprintf("is longer than %d bytes", maxCredentialBytes)}
	case !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n"):
		return &shipment.FieldError{Field: field, Message: "must be one line of valid UTF-8"}
	}
	return nil
}

// checkBudgets checks the budgets the seller gave (nil: not given).
func checkBudgets(hourly, daily *int) error {
	if b := hourly; b != nil && (*b < 1 || *b > maxHourlyBudget) {
		return &shipment.FieldError{Field: "hourlyBudget", Message: fmt.Sprintf("must be between 1 and %d", maxHourlyBudget)}
	}
	if b := daily; b != nil && (*b < 1 || *b > maxDailyBudget) {
		return &shipment.FieldError{Field: "dailyBudget", Message: fmt.Sprintf("must be between 1 and %d", maxDailyBudget)}
	}
	return nil
}

// seal seals credentials for the seller's account of the carrier, under
// this process's key, and returns the client id's hint (its last four
// characters).
func (c *Carriers) seal(sellerID string, car carrier.Carrier, creds carrier.Credentials) (sealed []byte, hint string, err error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, "", err
	}
	if sealed, err = c.key.Seal(plain, credentialContext(sellerID, car)); err != nil {
		return nil, "", err
	}
	hint = creds.ClientID
	if len(hint) > 4 {
		hint = hint[len(hint)-4:]
	}
	return sealed, strings.ToValidUTF8(hint, ""), nil
}

// checkBaseURL: PRODUCTION and SANDBOX take no URL; CUSTOM needs an
// http(s) URL the guard allows (a private address only when the operator
// allowed its range).
func (c *Carriers) checkBaseURL(ctx context.Context, env carrier.Environment, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if env != carrier.Custom {
		if raw != "" {
			return "", &shipment.FieldError{Field: "baseUrl", Message: "is only for the CUSTOM environment"}
		}
		return "", nil
	}
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", &shipment.FieldError{Field: "baseUrl", Message: "is required for the CUSTOM environment"}
	case len(raw) > 2048:
		return "", &shipment.FieldError{Field: "baseUrl", Message: "is longer than 2048 bytes"}
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", &shipment.FieldError{Field: "baseUrl", Message: clip.Quote(raw) + " is not an http(s) URL with a host and no credentials, query or fragment"}
	}
	if err := c.guard.CheckURL(ctx, u); err != nil {
		var uerr *netguard.URLError
		if errors.As(err, &uerr) {
			return "", &shipment.FieldError{Field: "baseUrl", Message: uerr.Reason + " (the operator can allow a range: SHIPWATCH_CARRIER_ALLOW_CIDRS)"}
		}
		return "", err
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// DeleteCarrierAccount stops polling with the account at once and erases
// its credentials.
func (c *Carriers) DeleteCarrierAccount(ctx context.Context, sellerID, id string) (store.CarrierAccount, error) {
	acct, err := c.store.DeleteCarrierAccount(ctx, sellerID, id)
	if err != nil {
		return store.CarrierAccount{}, err
	}
	c.mu.Lock()
	delete(c.clients, id)
	c.mu.Unlock()
	return acct, nil
}

// CredentialsTest is the result of TestCarrierAccount.
type CredentialsTest struct {
	OK bool
	// Message says what the carrier answered, in words for the seller.
	Message string
}

// TestCarrierAccount asks the carrier's token endpoint for a token with
// the account's credentials: the one call that says whether they work.
func (c *Carriers) TestCarrierAccount(ctx context.Context, sellerID, id string) (CredentialsTest, error) {
	acct, err := c.store.CarrierAccount(ctx, sellerID, id)
	if err != nil {
		return CredentialsTest{}, err
	}
	cl, err := c.client(acct, false)
	if err != nil {
		return CredentialsTest{}, err
	}
	// Every failure is an answer for the seller, not an error of the API:
	// refused credentials, a failing token endpoint, an unreachable host.
	err = cl.CheckCredentials(ctx)
	var herr *carrier.HTTPError
	switch {
	case err == nil:
		return CredentialsTest{OK: true, Message: acct.Carrier + " issued a token for these credentials."}, nil
	case errors.Is(err, carrier.ErrUnauthorized):
		return CredentialsTest{Message: acct.Carrier + " refused these credentials."}, nil
	case errors.As(err, &herr):
		return CredentialsTest{Message: acct.Carrier + "'s token endpoint failed: " + herr.Error()}, nil
	case ctx.Err() != nil:
		return CredentialsTest{}, ctx.Err()
	}
	return CredentialsTest{Message: "could not reach " + acct.Carrier + ": " + clip.Text(err.Error())}, nil
}

// client returns the account's API client, reusing the one whose token is
// cached unless fresh is asked for. Credentials are opened here only.
func (c *Carriers) client(acct store.CarrierAccount, cached bool) (*carrier.Client, error) {
	if cached {
		c.mu.Lock()
		cc, ok := c.clients[acct.ID]
		c.mu.Unlock()
		if ok && cc.revision == acct.Revision {
			return cc.client, nil
		}
	}
	creds, err := c.open(acct)
	if err != nil {
		return nil, err
	}
	base := acct.BaseURL
	if base == "" {
		base = carrier.Carrier(acct.Carrier).BaseURL(carrier.Environment(acct.Environment))
	}
	cl := carrier.New(carrier.Carrier(acct.Carrier), base, creds, carrier.WithHTTPClient(c.http),
		carrier.WithClock(c.svc.now, c.sleep), carrier.WithBeforeRequest(takeRequest))
	if cached {
		c.mu.Lock()
		c.clients[acct.ID] = cachedClient{client: cl, revision: acct.Revision}
		c.mu.Unlock()
	}
	return cl, nil
}

// open opens the account's credentials: here and in a rotation of its
// secret alone, nowhere else.
func (c *Carriers) open(acct store.CarrierAccount) (carrier.Credentials, error) {
	var creds carrier.Credentials
	if acct.KeyID != c.key.ID() {
		return creds, fmt.Errorf("carrier account %s sealed under key %s, this process has %s: %w", acct.ID, acct.KeyID, c.key.ID(), ErrWrongKey)
	}
	plain, err := c.key.Open(acct.CredentialsSealed, credentialContext(acct.SellerID, carrier.Carrier(acct.Carrier)))
	if err != nil {
		return creds, fmt.Errorf("carrier account %s: %w", acct.ID, err)
	}
	if err := json.Unmarshal(plain, &creds); err != nil {
		return creds, fmt.Errorf("carrier account %s: credentials: %w", acct.ID, err)
	}
	return creds, nil
}

// SourceHealth returns the health of the seller's sources among ids
// (webhook sources and carrier accounts); one without a record yet is
// absent.
func (c *Carriers) SourceHealth(ctx context.Context, sellerID string, ids []string) ([]source.Health, error) {
	return c.store.SourceHealth(ctx, sellerID, ids)
}
