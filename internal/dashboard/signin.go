package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/store"
)

// loginView is the sign-in page's data.
type loginView struct {
	CSRF, Next, Error string
}

// localNext keeps a post-sign-in destination on the dashboard: anything
// else (another site, a scheme-relative URL) becomes the home page.
func localNext(next string) string {
	if !strings.HasPrefix(next, "/app/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/app/"
	}
	return next
}

// loginPage shows the sign-in form. The form is protected by a
// double-submit token: a random value in a SameSite cookie and in the form.
func (h *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := h.session(r); err == nil {
		http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, "")
}

func (h *Dashboard) renderLogin(w http.ResponseWriter, r *http.Request, code int, problem string) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		h.fail(w, r, "login token", err)
		return
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: h.loginCookie(), Value: token, Path: "/", HttpOnly: true,
		Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.render(w, r, code, "login", pageData{Title: "Sign in", Page: loginView{CSRF: token, Next: localNext(next), Error: problem}})
}

// login exchanges an API key for a session.
func (h *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(h.loginCookie())
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 ||
		(r.Header.Get("Origin") != "" && !sameOrigin(r.Header.Get("Origin"), r)) {
		h.renderLogin(w, r, http.StatusForbidden, "The sign-in form expired. Please try again.")
		return
	}
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	if k := auth.BearerToken(key); k != "" { // pasted with its scheme
		key = k
	}
	if key == "" {
		h.renderLogin(w, r, http.StatusBadRequest, "Enter your API key (it starts with sw_).")
		return
	}
	seller, keyID, err := h.d.Store.AuthenticateKey(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		h.renderLogin(w, r, http.StatusUnauthorized, "That API key is not valid or was revoked.")
		return
	}
	if err != nil {
		h.fail(w, r, "sign in", err)
		return
	}
	token, digest, err := store.NewSessionToken()
	if err != nil {
		h.fail(w, r, "sign in", err)
		return
	}
	expires, err := h.d.Store.InsertSession(r.Context(), digest, keyID, h.d.SessionTTL)
	if err != nil {
		h.fail(w, r, "sign in", err)
		return
	}
	if _, err := h.d.Store.DeleteExpiredSessions(r.Context()); err != nil {
		h.d.Log.WarnContext(r.Context(), "dashboard: delete expired sessions", "err", err)
	}
	h.d.Log.InfoContext(r.Context(), "dashboard sign-in", "request_id", auth.RequestID(r.Context()), "seller_id", seller.ID)
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie(), Value: token, Path: "/", Expires: expires, HttpOnly: true,
		Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: h.loginCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, localNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// logout ends the session.
func (h *Dashboard) logout(w http.ResponseWriter, r *http.Request, _ session) {
	if c, err := r.Cookie(h.sessionCookie()); err == nil {
		if err := h.d.Store.DeleteSession(r.Context(), store.SessionDigest(c.Value)); err != nil {
			h.fail(w, r, "sign out", err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/app/login", http.StatusSeeOther)
}
