// Package track17 calls 17TRACK's tracking API (v2.2) to register
// tracking numbers, so that 17TRACK pushes their events to Shipwatch's
// webhook, and holds the limiter that keeps each account within 17TRACK's
// request rate. The request and response shapes are 17TRACK's
// (docs/events.md, 17TRACK registration); track17test fakes the endpoint.
package track17

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// DefaultBaseURL is 17TRACK's API; tests and sandboxes set another.
const DefaultBaseURL = "https://api.17track.net"

// RegisterPath is the register call, relative to the base URL.
const RegisterPath = "/track/v2.2/register"

// TokenHeader carries the account's security key on every call.
const TokenHeader = "17token"

// MaxNumbers is how many numbers one register call may carry.
const MaxNumbers = 40

// CodeAlreadyRegistered is 17TRACK's rejection of a number the account
// registered before: not an error for Shipwatch.
const CodeAlreadyRegistered = -18019901

// maxResponseBytes bounds what is read of an answer: 40 items are a few KiB.
const maxResponseBytes = 1 << 20

// Client calls 17TRACK.
type Client struct {
	baseURL string
	http    *http.Client
}

// New returns a client of the API at baseURL ("" is DefaultBaseURL).
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), http: hc}
}

// Rejection is a number 17TRACK refused, with its reason.
type Rejection struct {
	Number  string
	Code    int
	Message string
}

// Result is 17TRACK's answer to one register call.
type Result struct {
	Accepted []string
	Rejected []Rejection
}

// Error is a call 17TRACK refused as a whole (or one that failed on the
// way): Status is the HTTP status (0 when no answer came), Code and
// Message 17TRACK's error when it gave one.
type Error struct {
	Status     int
	Code       int
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("17track")
	if e.Status != 0 {
		b.WriteString(" HTTP " + strconv.Itoa(e.Status))
	}
	if e.Code != 0 {
		b.WriteString(" code " + strconv.Itoa(e.Code))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// RateLimited reports a 429: the account's request rate was exceeded
// (another replica, or another program with the same key).
func (e *Error) RateLimited() bool { return e.Status == http.StatusTooManyRequests }

// Retryable reports a failure worth trying again as is: a rate limit, a
// 5xx or no answer at all. Anything else (a bad key, a spent quota) needs
// the seller.
func (e *Error) Retryable() bool {
	return e.RateLimited() || e.Status == 0 || e.Status >= 500
}

// IsQuota reports whether a 17TRACK error message says the account's
// quota is spent. 17TRACK words these as "quota"; the code lists were not
// at hand (docs/events.md), so the wording decides.
func IsQuota(message string) bool {
	return strings.Contains(strings.ToLower(message), "quota")
}

type registerItem struct {
	Number string `json:"number"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type registerResponse struct {
	Code int `json:"code"`
	Data struct {
		Accepted []struct {
			Number string `json:"number"`
		} `json:"accepted"`
		Rejected []struct {
			Number string   `json:"number"`
			Error  apiError `json:"error"`
		} `json:"rejected"`
		Errors []apiError `json:"errors"`
	} `json:"data"`
}

// Register asks 17TRACK to track up to MaxNumbers numbers for the account
// whose security key is key; 17TRACK detects each number's carrier. A
// number refused alone is in Result.Rejected; a call refused as a whole is
// an *Error.
func (c *Client) Register(ctx context.Context, key string, numbers []string) (Result, error) {
	if len(numbers) == 0 || len(numbers) > MaxNumbers {
		return Result{}, fmt.Errorf("17track register: %d numbers, want 1 to %d", len(numbers), MaxNumbers)
	}
	items := make([]registerItem, len(numbers))
	for i, n := range numbers {
		items[i] = registerItem{Number: n}
	}
	body, err := json.Marshal(items)
	if err != nil {
		return Result{}, fmt.Errorf("17track register: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+RegisterPath, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("17track register: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TokenHeader, key)
	resp, err := c.http.Do(req)
	if err != nil {
		// The error may carry the URL, never the key (it is a header).
		return Result{}, &Error{Message: clip.Text(err.Error())}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return Result{}, &Error{Status: resp.StatusCode, Message: "reading the answer: " + clip.Text(err.Error())}
	}
	var out registerResponse
	decodeErr := json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		if decodeErr == nil {
			e.Code, e.Message = firstError(out)
		}
		if e.Message == "" {
			e.Message = clip.Text(strings.TrimSpace(string(raw)))
		}
		return Result{}, e
	}
	if decodeErr != nil {
		return Result{}, &Error{Status: resp.StatusCode, Message: "unreadable answer: " + clip.Text(decodeErr.Error())}
	}
	if out.Code != 0 {
		code, msg := firstError(out)
		return Result{}, &Error{Status: resp.StatusCode, Code: code, Message: msg}
	}
	var res Result
	for _, a := range out.Data.Accepted {
		res.Accepted = append(res.Accepted, a.Number)
	}
	for _, r := range out.Data.Rejected {
		res.Rejected = append(res.Rejected, Rejection{Number: r.Number, Code: r.Error.Code, Message: clip.Text(r.Error.Message)})
	}
	return res, nil
}

func firstError(r registerResponse) (int, string) {
	for _, e := range r.Data.Errors {
		return e.Code, clip.Text(e.Message)
	}
	return r.Code, ""
}

func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
