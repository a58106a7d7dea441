// Package track17test is an in-process fake of 17TRACK's register endpoint
// (API v2.2), built from its published request and response shapes, for
// tests that must not reach the network.
package track17test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/shipwatch/shipwatch/internal/track17"
)

// Error codes the fake answers with. CodeAlreadyRegistered is 17TRACK's;
// the others stand for "some other refusal" and only need to differ.
const (
	CodeInvalidNumber = -18019903
	CodeQuota         = -18010014
	CodeBadToken      = -18010002
)

// Call is one register request the fake received.
type Call struct {
	At      time.Time
	Numbers []string
}

// Fake is the fake 17TRACK. Its zero value is not usable: call New.
type Fake struct {
	Server *httptest.Server
	// Key is the security key the fake accepts.
	Key string

	mu         sync.Mutex
	now        func() time.Time
	calls      []Call
	registered map[string]bool
	invalid    map[string]bool
	// quota is how many more numbers the account may register; <0 is
	// unlimited.
	quota int
	// limit429 answers 429 to a request over 3 in a second, as 17TRACK.
	limit429 bool
}

// New starts a fake accepting key, on the clock now (time.Now if nil).
func New(key string, now func() time.Time) *Fake {
	if now == nil {
		now = time.Now
	}
	f := &Fake{Key: key, now: now, registered: map[string]bool{}, invalid: map[string]bool{}, quota: -1, limit429: true}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// AcceptBursts makes the fake answer every request whatever the rate: for
// tests whose virtual clock moves while another worker's request is in
// flight (that request would be stamped with the later time and counted
// in the wrong second), which check the rate at their limiter instead.
func (f *Fake) AcceptBursts() { f.mu.Lock(); f.limit429 = false; f.mu.Unlock() }

// Close stops the fake's server.
func (f *Fake) Close() { f.Server.Close() }

// URL is the fake's base URL.
func (f *Fake) URL() string { return f.Server.URL }

// SetQuota leaves n registrations in the account's quota.
func (f *Fake) SetQuota(n int) { f.mu.Lock(); f.quota = n; f.mu.Unlock() }

// Invalid makes the fake reject these numbers as invalid.
func (f *Fake) Invalid(numbers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range numbers {
		f.invalid[n] = true
	}
}

// Preregister marks numbers as registered before, as by another program.
func (f *Fake) Preregister(numbers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range numbers {
		f.registered[n] = true
	}
}

// Calls returns the requests received so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Registered reports whether the fake holds number.
func (f *Fake) Registered(number string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registered[number]
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rejected struct {
	Number string   `json:"number"`
	Error  apiError `json:"error"`
}

type accepted struct {
	Origin int    `json:"origin"`
	Number string `json:"number"`
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != track17.RegisterPath {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get(track17.TokenHeader) != f.Key {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": CodeBadToken,
			"data": map[string]any{"errors": []apiError{{CodeBadToken, "Access denied: the security key is invalid."}}}})
		return
	}
	var items []struct {
		Number string `json:"number"`
	}
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil || len(items) == 0 || len(items) > track17.MaxNumbers {
		writeJSON(w, http.StatusOK, map[string]any{"code": -18010001,
			"data": map[string]any{"errors": []apiError{{-18010001, "The request must be an array of 1 to 40 items."}}}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	numbers := make([]string, len(items))
	for i, it := range items {
		numbers[i] = it.Number
	}
	f.calls = append(f.calls, Call{At: now, Numbers: numbers})
	if f.limit429 && f.recent(now) > track17.RequestsPerSecond {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429,
			"data": map[string]any{"errors": []apiError{{429, "Too many requests."}}}})
		return
	}
	acc, rej := []accepted{}, []rejected{}
	for _, n := range numbers {
		switch {
		case f.invalid[n]:
			rej = append(rej, rejected{n, apiError{CodeInvalidNumber, "The tracking number '" + n + "' is invalid."}})
		case f.registered[n]:
			rej = append(rej, rejected{n, apiError{track17.CodeAlreadyRegistered, "The tracking number '" + n + "' has been registered, don't need to repeat registration."}})
		case f.quota == 0:
			rej = append(rej, rejected{n, apiError{CodeQuota, "The quota of the account is insufficient."}})
		default:
			f.registered[n] = true
			if f.quota > 0 {
				f.quota--
			}
			acc = append(acc, accepted{1, n})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "data": map[string]any{"accepted": acc, "rejected": rej}})
}

// recent counts the calls received in the second up to now.
func (f *Fake) recent(now time.Time) int {
	n := 0
	for _, c := range f.calls {
		if now.Sub(c.At) < time.Second {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
