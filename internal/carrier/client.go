package carrier

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one account's carrier API. It caches the OAuth token until
// shortly before it expires, fetches a new one when the carrier answers
// 401 mid-run (a token revoked or expired early), and waits out a 429 or
// 5xx when the carrier's Retry-After is short. Safe for concurrent use.
type Client struct {
	carrier Carrier
	base    string
	creds   Credentials
	http    *http.Client
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	// beforeRequest runs before each tracking request (not token
	// requests): the caller's quota. An error stops the call.
	beforeRequest func(context.Context) error

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (the network guard's, in the server).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClock sets the clock token expiry is read from and how the client
// waits; tests pass a simulated clock.
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.now, c.sleep = now, sleep }
}

// WithBeforeRequest sets a function run before every tracking request,
// retries included; its error ends the call (a spent quota).
func WithBeforeRequest(f func(context.Context) error) Option {
	return func(c *Client) { c.beforeRequest = f }
}

// New returns a client for carrier at baseURL (scheme and host, maybe a
// path prefix) with the account's credentials.
func New(carrier Carrier, baseURL string, creds Credentials, opts ...Option) *Client {
	c := &Client{carrier: carrier, base: strings.TrimRight(baseURL, "/"), creds: creds,
		http: &http.Client{Timeout: 30 * time.Second}, now: time.Now, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tokenMargin: a token this close to its expiry is replaced before use, so
// that a request does not leave with a token that dies on the way.
const tokenMargin = time.Minute

// Retries: a Retry-After up to maxInlineWait is waited out in the call;
// a longer one ends the call, and the poller pauses the account.
const (
	maxAttempts   = 3
	maxInlineWait = 30 * time.Second
)

// CheckCredentials asks the carrier's token endpoint for a new token: the
// one call that tells whether the credentials work.
func (c *Client) CheckCredentials(ctx context.Context) error {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
	_, err := c.Token(ctx)
	return err
}

// Token returns a valid access token, from the cache when it has one.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Add(tokenMargin).Before(c.expires) {
		return c.token, nil
	}
	tok, ttl, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.expires = tok, c.now().Add(ttl)
	return tok, nil
}

func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// tokenPath is each carrier's client-credentials endpoint.
func (c *Client) tokenPath() string {
	switch c.carrier {
	case UPS:
		return "/security/v1/oauth/token"
	case FedEx:
		return "/oauth/token"
	}
	return "/oauth2/v3/token"
}

// fetchToken runs the client-credentials grant: UPS takes the
// credentials as HTTP Basic, FedEx as form fields, USPS as JSON.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var (
		body  io.Reader
		ctype string
	)
	switch c.carrier {
	case USPS:
		b, err := json.Marshal(map[string]string{"grant_type": "client_credentials",
			"client_id": c.creds.ClientID, "client_secret": c.creds.ClientSecret})
		if err != nil {
			return "", 0, fmt.Errorf("token request: %w", err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	case FedEx:
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.creds.ClientID}, "client_secret": {c.creds.ClientSecret}}
		body, ctype = strings.NewReader(f.Encode()), "application/x-www-form-urlencoded"
	default:
		body, ctype = strings.NewReader("grant_type=client_credentials"), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+c.tokenPath(), body)
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if c.carrier == UPS {
		req.SetBasicAuth(c.creds.ClientID, c.creds.ClientSecret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
		resp.StatusCode == http.StatusBadRequest:
		return "", 0, fmt.Errorf("%s token endpoint answered %d: %w", c.carrier, resp.StatusCode, ErrUnauthorized)
	case resp.StatusCode != http.StatusOK:
		return "", 0, &HTTPError{Op: string(c.carrier) + " token", Status: resp.StatusCode, Message: errorText(raw),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return "", 0, fmt.Errorf("%s token endpoint: no access_token in its answer", c.carrier)
	}
	// UPS sends expires_in as a string of seconds, FedEx and USPS as a
	// number; without one, assume the shortest documented life (FedEx's hour).
	secs, err := strconv.ParseInt(strings.Trim(string(tok.ExpiresIn), `"`), 10, 64)
	if err != nil || secs <= 0 {
		secs = 3600
	}
	return tok.AccessToken, time.Duration(secs) * time.Second, nil
}

// do sends one tracking request built by build (with the token), retrying
// as the type comment says, and returns the body of a 2xx or 404.
func (c *Client) do(ctx context.Context, op string, build func(token string) (*http.Request, error)) (int, []byte, error) {
	var last error
	renewed := false
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if c.beforeRequest != nil {
			if err := c.beforeRequest(ctx); err != nil {
				return 0, nil, err
			}
		}
		tok, err := c.Token(ctx)
		if err != nil {
			return 0, nil, err
		}
		req, err := build(tok)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", op, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", op, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", op, err)
		}
		switch {
		case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound:
			return resp.StatusCode, raw, nil
		case resp.StatusCode == http.StatusUnauthorized && !renewed:
			// The token expired or was revoked before its announced end.
			c.dropToken(tok)
			renewed = true
			attempt--
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			return 0, nil, fmt.Errorf("%s answered 401 with a new token: %w", op, ErrUnauthorized)
		}
		herr := &HTTPError{Op: op, Status: resp.StatusCode, Message: errorText(raw),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
		if !herr.Temporary() {
			return resp.StatusCode, raw, herr
		}
		last = herr
		wait := herr.RetryAfter
		if wait == 0 {
			wait = time.Duration(attempt) * time.Second
		}
		if wait > maxInlineWait || attempt == maxAttempts {
			if herr.RetryAfter == 0 {
				herr.RetryAfter = wait
			}
			return 0, nil, herr
		}
		if err := c.sleep(ctx, wait); err != nil {
			return 0, nil, err
		}
	}
	return 0, nil, last
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// errorText pulls a short message out of an error body of any of the
// three carriers (UPS response.errors[], FedEx errors[], USPS error).
func errorText(raw []byte) string {
	var e struct {
		Response struct {
			Errors []struct{ Code, Message string } `json:"errors"`
		} `json:"response"`
		Errors []struct{ Code, Message string } `json:"errors"`
		Error  json.RawMessage                  `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil {
		for _, list := range [][]struct{ Code, Message string }{e.Response.Errors, e.Errors} {
			if len(list) > 0 {
				return clipText(strings.TrimSpace(list[0].Code + " " + list[0].Message))
			}
		}
		var usps struct{ Code, Message string }
		if json.Unmarshal(e.Error, &usps) == nil && usps.Message != "" {
			return clipText(strings.TrimSpace(usps.Code + " " + usps.Message))
		}
	}
	return ""
}

func clipText(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// transID is UPS's required per-request id.
func transID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b[:])
}

// Track asks the carrier about numbers (at most BatchSize of them) and
// returns one Result per number, in order. A number the carrier does not
// know is a Result with NotFound, not an error.
func (c *Client) Track(ctx context.Context, numbers []string) ([]Result, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	if len(numbers) > c.carrier.BatchSize() {
		return nil, fmt.Errorf("track: %d numbers, %s takes at most %d a request", len(numbers), c.carrier, c.carrier.BatchSize())
	}
	switch c.carrier {
	case UPS:
		return c.trackUPS(ctx, numbers[0])
	case FedEx:
		return c.trackFedEx(ctx, numbers)
	case USPS:
		return c.trackUSPS(ctx, numbers[0])
	}
	return nil, errors.New("track: unknown carrier " + string(c.carrier))
}
