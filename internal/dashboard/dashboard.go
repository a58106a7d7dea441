// Package dashboard is the seller's own view of Shipwatch at /app: pages
// rendered on the server with html/template, a little script for charts
// (Chart.js), live flags and import progress (server-sent events), and no
// build step: templates, styles, scripts and the vendored Chart.js are
// embedded in the binary.
//
// A seller signs in with an API key. The browser then holds a random
// session token in an HttpOnly, SameSite=Strict cookie; the database keeps
// only its digest, tied to the key (revoking the key ends the session).
// Every form carries a CSRF token derived from the session token. Every
// page goes through the use cases the GraphQL API uses (monitor, health,
// store methods scoped to the seller in SQL): the dashboard decides
// nothing the API does not.
package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

// Deps is what the dashboard serves from.
type Deps struct {
	Store   *store.Store
	Monitor *monitor.Service
	Health  *health.Service
	Imports *monitor.Importer
	PubSub  *pubsub.Hub
	Log     *slog.Logger
	// EvidencePDF and ErrorsFile are the API's download handlers (they
	// read the {id} path value and the seller from the request context);
	// the dashboard serves them to a signed-in seller.
	EvidencePDF http.Handler
	ErrorsFile  http.Handler
	// SessionTTL is how long a sign-in lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure: set when the server is reached
	// over HTTPS (SHIPWATCH_PUBLIC_URL https://...).
	SecureCookies bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Dashboard is the /app handler set.
type Dashboard struct {
	d     Deps
	pages *pages
}

// New builds the dashboard.
func New(d Deps) (*Dashboard, error) {
	if d.SessionTTL == 0 {
		d.SessionTTL = DefaultSessionTTL
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Dashboard{d: d, pages: p}, nil
}

// Routes adds the dashboard's routes to mux, for server.Deps.Routes.
func (h *Dashboard) Routes(mux *http.ServeMux) {
	mux.Handle("GET /app/static/", staticHandler())
	mux.HandleFunc("GET /app/login", h.loginPage)
	mux.HandleFunc("POST /app/login", h.login)
	mux.HandleFunc("POST /app/logout", h.signedIn(h.logout))
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/app/", http.StatusFound) })
	mux.HandleFunc("GET /app/{$}", h.signedIn(h.healthPage))
	mux.HandleFunc("GET /app/health/{metric}", h.signedIn(h.failingPage))
	mux.HandleFunc("GET /app/flags", h.signedIn(h.flagsPage))
	mux.HandleFunc("POST /app/flags/{id}/acknowledge", h.signedIn(h.acknowledge))
	mux.HandleFunc("POST /app/flags/{id}/resolve", h.signedIn(h.resolve))
	mux.HandleFunc("GET /app/live", h.signedIn(h.live))
	mux.HandleFunc("GET /app/shipments", h.signedIn(h.shipmentsPage))
	mux.HandleFunc("GET /app/shipments/{id}", h.signedIn(h.shipmentPage))
	mux.HandleFunc("GET /app/imports", h.signedIn(h.importsPage))
	mux.HandleFunc("POST /app/imports", h.signedIn(h.upload))
	mux.HandleFunc("GET /app/imports/{id}", h.signedIn(h.importPage))
	mux.HandleFunc("GET /app/imports/{id}/progress", h.signedIn(h.importProgress))
	mux.HandleFunc("GET /app/imports/{id}/errors", h.signedIn(h.download(h.d.ErrorsFile)))
	mux.HandleFunc("GET /app/disputes", h.signedIn(h.disputesPage))
	mux.HandleFunc("POST /app/disputes", h.signedIn(h.openDispute))
	mux.HandleFunc("GET /app/disputes/{id}/evidence.pdf", h.signedIn(h.download(h.d.EvidencePDF)))
}

// session is a signed-in request's session.
type session struct {
	store.Session
	// csrf is the token every form of the session carries.
	csrf string
}

// Cookie names. Without Secure cookies the __Host- prefix cannot be used.
func (h *Dashboard) sessionCookie() string {
	if h.d.SecureCookies {
		return "__Host-shipwatch_session"
	}
	return "shipwatch_session"
}

func (h *Dashboard) loginCookie() string {
	if h.d.SecureCookies {
		return "__Host-shipwatch_login"
	}
	return "shipwatch_login"
}

// csrfFor derives a session's CSRF token from its secret token: a form
// from another site cannot know it, and the server stores nothing more.
func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("shipwatch dashboard csrf")) //nolint:errcheck // hash writes never fail
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// handlerFunc is a handler of a signed-in request.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s session)

// signedIn runs next for a request with a live session, the seller in its
// context as the API's middleware puts it; a page request without one is
// sent to sign in, anything else is 401. Every state-changing request must
// carry the session's CSRF token and, when the browser sends one, an
// Origin of this server.
func (h *Dashboard) signedIn(next handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.session(r)
		if errors.Is(err, store.ErrNotFound) {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/live") && !strings.HasSuffix(r.URL.Path, "/progress") {
				http.Redirect(w, r, "/app/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in again: the session ended or its API key was revoked", http.StatusUnauthorized)
			return
		}
		if err != nil {
			h.fail(w, r, "session", err)
			return
		}
		if r.Method != http.MethodGet && !h.validCSRF(r, s.csrf) {
			http.Error(w, "this form is stale or came from another site: reload the page and try again", http.StatusForbidden)
			return
		}
		if multipart(r) && r.URL.Path != "/app/imports" {
			http.Error(w, "only the upload form sends files", http.StatusBadRequest)
			return
		}
		ctx := auth.WithKeyPrefix(auth.WithSeller(r.Context(), s.Seller), s.KeyPrefix)
		w.Header().Set("Cache-Control", "no-store")
		next(w, r.WithContext(ctx), s)
	}
}

func (h *Dashboard) session(r *http.Request) (session, error) {
	c, err := r.Cookie(h.sessionCookie())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return session{}, store.ErrNotFound
	}
	s, err := h.d.Store.SessionByToken(r.Context(), store.SessionDigest(c.Value))
	if err != nil {
		return session{}, err
	}
	return session{Session: s, csrf: csrfFor(c.Value)}, nil
}

// validCSRF checks a state-changing request: the token (form field csrf,
// or header X-CSRF-Token for the upload's script) in constant time, and
// the Origin header when there is one.
//
// A multipart upload is not parsed here (it streams): without the header,
// the upload handler checks the form's first field before reading the
// file.
func (h *Dashboard) validCSRF(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && multipart(r) {
		return true
	}
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && hmacEqual(got, want)
}

func multipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
}

// hmacEqual compares two tokens in constant time.
func hmacEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// sameOrigin reports whether an Origin header names the host the request
// was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// download serves one of the API's downloads to the signed-in seller.
func (h *Dashboard) download(next http.Handler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ session) { next.ServeHTTP(w, r) }
}

// fail answers an unexpected error with the request id, logging it.
func (h *Dashboard) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	id := auth.RequestID(r.Context())
	h.d.Log.ErrorContext(r.Context(), "dashboard: "+what, "request_id", id, "err", err)
	http.Error(w, "Something went wrong on our side (request "+id+"). Try again; if it goes on, tell your operator this request id.", http.StatusInternalServerError)
}
