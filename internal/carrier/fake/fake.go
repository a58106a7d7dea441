// Package fake is an in-process stand-in for the UPS, FedEx and USPS
// tracking APIs, OAuth token endpoints included, answering in the shapes
// the carriers publish (docs/carriers.md). Tests, `shipwatch simulate` and
// the poll benchmark point carrier accounts at it. Its clock is the
// caller's: scans become visible when the clock reaches them, tokens
// expire on it, and outages are set in it.
package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Scan is one event of a fake parcel's life.
type Scan struct {
	At      time.Time
	Status  shipment.Status
	City    string
	State   string
	ZIP     string
	Country string
}

// Parcel is a tracking number the fake knows.
type Parcel struct {
	Number string
	// Owner is the client id of the only account that may see it; ""
	// lets every account see it.
	Owner string
	Scans []Scan
	// Sparse answers with only the required fields: no location, no
	// descriptions, no estimate.
	Sparse bool
	// SignedBy is who signed for the delivery, when it is delivered.
	SignedBy string
}

// Carrier is one carrier's fake API: an http.Handler.
type Carrier struct {
	carrier carrier.Carrier
	now     func() time.Time
	// TokenTTL is the life of the tokens it issues.
	TokenTTL time.Duration
	// Latency is waited (on the wall clock) before each tracking answer.
	Latency time.Duration

	mu       sync.Mutex
	clients  map[string]string // client id -> secret
	tokens   map[string]time.Time
	parcels  map[string]Parcel
	down     time.Time // answer 503 until then
	downWait time.Duration
	limited  int // answer 429 to this many next requests
	limitFor time.Duration

	requests, tokenRequests, numbers atomic.Int64
	// firstSeen is when an answer first showed each number's first scan.
	firstSeen map[string]time.Time
}

// New returns a fake of c reading the time from now.
func New(c carrier.Carrier, now func() time.Time) *Carrier {
	ttl := map[carrier.Carrier]time.Duration{carrier.UPS: 4 * time.Hour, carrier.FedEx: time.Hour, carrier.USPS: 8 * time.Hour}[c]
	return &Carrier{carrier: c, now: now, TokenTTL: ttl, clients: map[string]string{}, tokens: map[string]time.Time{},
		parcels: map[string]Parcel{}, firstSeen: map[string]time.Time{}}
}

// FirstScanSeen says when an answer first carried the number's first
// carrier scan (not a label): the moment a poller could know it.
func (f *Carrier) FirstScanSeen(number string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.firstSeen[number]
	return t, ok
}

// AddClient registers OAuth client credentials.
func (f *Carrier) AddClient(id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clients[id] = secret
}

// AddParcel adds or replaces a parcel.
func (f *Carrier) AddParcel(p Parcel) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parcels[p.Number] = p
}

// Down answers every tracking request 503 (Retry-After: retry) until the
// fake's clock reaches until.
func (f *Carrier) Down(until time.Time, retry time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.downWait = until, retry
}

// RateLimit answers the next n tracking requests 429 with Retry-After.
func (f *Carrier) RateLimit(n int, retry time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.limitFor = n, retry
}

// ExpireTokens ends every issued token now, as a carrier that rotates
// keys does, before the expiry it announced.
func (f *Carrier) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// Requests is how many tracking requests it answered (any status);
// Numbers how many tracking numbers they carried; TokenRequests how many
// token requests.
func (f *Carrier) Requests() int64      { return f.requests.Load() }
func (f *Carrier) Numbers() int64       { return f.numbers.Load() }
func (f *Carrier) TokenRequests() int64 { return f.tokenRequests.Load() }

// ServeHTTP routes the carrier's token and tracking paths.
func (f *Carrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/security/v1/oauth/token" || r.URL.Path == "/oauth/token" ||
		r.URL.Path == "/oauth2/v3/token"):
		f.token(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/track/v1/details/") && f.carrier == carrier.UPS:
		f.track(w, r, []string{strings.TrimPrefix(r.URL.Path, "/api/track/v1/details/")})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/tracking/v3/tracking/") && f.carrier == carrier.USPS:
		f.track(w, r, []string{strings.TrimPrefix(r.URL.Path, "/tracking/v3/tracking/")})
	case r.Method == http.MethodPost && r.URL.Path == "/track/v1/trackingnumbers" && f.carrier == carrier.FedEx:
		var body struct {
			TrackingInfo []struct {
				TrackingNumberInfo struct {
					TrackingNumber string `json:"trackingNumber"`
				} `json:"trackingNumberInfo"`
			} `json:"trackingInfo"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || len(body.TrackingInfo) == 0 {
			writeJSON(w, http.StatusBadRequest, errorBody(f.carrier, "BAD.REQUEST", "trackingInfo is required"))
			return
		}
		if len(body.TrackingInfo) > 30 {
			writeJSON(w, http.StatusBadRequest, errorBody(f.carrier, "TRACKING.TRACKINGNUMBER.LIMIT", "at most 30 tracking numbers"))
			return
		}
		numbers := make([]string, len(body.TrackingInfo))
		for i, t := range body.TrackingInfo {
			numbers[i] = t.TrackingNumberInfo.TrackingNumber
		}
		f.track(w, r, numbers)
	default:
		http.NotFound(w, r)
	}
}

// token runs the client-credentials grant in the carrier's style.
func (f *Carrier) token(w http.ResponseWriter, r *http.Request) {
	f.tokenRequests.Add(1)
	var id, secret, grant string
	switch f.carrier {
	case carrier.UPS:
		id, secret, _ = r.BasicAuth()
		if err := r.ParseForm(); err == nil {
			grant = r.PostForm.Get("grant_type")
		}
	case carrier.FedEx:
		if err := r.ParseForm(); err == nil {
			id, secret, grant = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("grant_type")
		}
	default:
		var b struct{ ClientID, ClientSecret, GrantType string }
		var raw map[string]string
		if json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&raw) == nil {
			b.ClientID, b.ClientSecret, b.GrantType = raw["client_id"], raw["client_secret"], raw["grant_type"]
		}
		id, secret, grant = b.ClientID, b.ClientSecret, b.GrantType
	}
	f.mu.Lock()
	want, known := f.clients[id]
	f.mu.Unlock()
	if grant != "client_credentials" || !known || want != secret {
		writeJSON(w, http.StatusUnauthorized, errorBody(f.carrier, "invalid_client", "Invalid client credentials"))
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := id + "." + hex.EncodeToString(b[:])
	f.mu.Lock()
	f.tokens[tok] = f.now().Add(f.TokenTTL)
	f.mu.Unlock()
	secs := int64(f.TokenTTL / time.Second)
	var expires any = secs
	if f.carrier == carrier.UPS {
		expires = strconv.FormatInt(secs, 10) // UPS sends it as a string
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": expires})
}

func (f *Carrier) track(w http.ResponseWriter, r *http.Request, numbers []string) {
	f.requests.Add(1)
	f.numbers.Add(int64(len(numbers)))
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	now := f.now()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	exp, ok := f.tokens[tok]
	down, downWait := f.down, f.downWait
	limited := f.limited > 0
	if limited {
		f.limited--
	}
	limitFor := f.limitFor
	f.mu.Unlock()
	switch {
	case !ok || !now.Before(exp):
		writeJSON(w, http.StatusUnauthorized, errorBody(f.carrier, "250002", "Invalid Authentication Information."))
		return
	case limited:
		w.Header().Set("Retry-After", strconv.Itoa(int(limitFor/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, errorBody(f.carrier, "429", "Too Many Requests"))
		return
	case now.Before(down):
		w.Header().Set("Retry-After", strconv.Itoa(int(downWait/time.Second)))
		writeJSON(w, http.StatusServiceUnavailable, errorBody(f.carrier, "503", "Service Unavailable"))
		return
	}
	client, _, _ := strings.Cut(tok, ".")
	visible := make([]*Parcel, len(numbers))
	f.mu.Lock()
	for i, n := range numbers {
		if p, ok := f.parcels[n]; ok && (p.Owner == "" || p.Owner == client) {
			p.Scans = seen(p.Scans, now)
			if len(p.Scans) > 0 {
				visible[i] = &p
			}
			if _, ok := f.firstSeen[n]; !ok {
				for _, s := range p.Scans {
					if s.Status.IsScan() {
						f.firstSeen[n] = now
						break
					}
				}
			}
		}
	}
	f.mu.Unlock()
	switch f.carrier {
	case carrier.UPS:
		f.answerUPS(w, numbers[0], visible[0])
	case carrier.FedEx:
		answerFedEx(w, numbers, visible)
	default:
		answerUSPS(w, numbers[0], visible[0])
	}
}

// seen returns the scans made by now, most recent first (the carriers'
// order).
func seen(scans []Scan, now time.Time) []Scan {
	out := []Scan{}
	for _, s := range scans {
		if !s.At.After(now) {
			out = append(out, s)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is an error in the carrier's shape.
func errorBody(c carrier.Carrier, code, msg string) any {
	switch c {
	case carrier.UPS:
		return map[string]any{"response": map[string]any{"errors": []any{map[string]string{"code": code, "message": msg}}}}
	case carrier.FedEx:
		return map[string]any{"transactionId": "fake", "errors": []any{map[string]string{"code": code, "message": msg}}}
	}
	return map[string]any{"apiVersion": "v3", "error": map[string]any{"code": code, "message": msg}}
}

// local is a scan's time in its location's zone, as carriers print it.
func local(s Scan) time.Time {
	if loc, ok := carrier.Zone(s.Country, s.State, s.ZIP); ok {
		return s.At.In(loc)
	}
	return s.At.UTC()
}
