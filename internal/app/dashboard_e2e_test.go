package app_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
)

// dashClient is a browser-like client of the dashboard: cookies kept,
// redirects not followed.
type dashClient struct {
	t    *testing.T
	env  *apptest.Env
	http *http.Client
	csrf string
}

func newDashClient(t *testing.T, env *apptest.Env) *dashClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &dashClient{t: t, env: env, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns the status, headers and body; a page's
// CSRF token is remembered.
func (c *dashClient) do(method, path string, form url.Values, header map[string]string) (int, http.Header, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.env.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, resp.Header, string(b)
}

// signIn signs in with a key and returns the sign-in answer.
func (c *dashClient) signIn(key string) (int, http.Header, string) {
	c.t.Helper()
	c.do("GET", "/app/login", nil, nil)
	return c.do("POST", "/app/login", url.Values{"csrf": {c.csrf}, "api_key": {key}, "next": {"/app/flags"}}, nil)
}

// The dashboard's sign-in, sessions, CSRF protection and tenancy, over
// plain HTTP.
func TestDashboardSessions(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, keyB := env.Seller(t, "Other")
	var sh struct{ CreateShipment struct{ ID string } }
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "A-1", carrier: "UPS", trackingNumber: "1Z999AA10123456785"}) { id } }`, nil, &sh)
	var flagID string
	apptest.Eventually(t, 30*time.Second, "the invalid-tracking flag", func() bool {
		var out struct {
			Flags struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.MustGraphQL(t, key, `{ flags(filter: {open: true}) { edges { node { id } } } }`, nil, &out)
		if len(out.Flags.Edges) > 0 {
			flagID = out.Flags.Edges[0].Node.ID
		}
		return flagID != ""
	})

	a := newDashClient(t, env)
	if code, h, _ := a.do("GET", "/app/flags", nil, nil); code != http.StatusSeeOther || h.Get("Location") != "/app/login?next=%2Fapp%2Fflags" {
		t.Errorf("GET /app/flags signed out = %d → %s, want the sign-in page", code, h.Get("Location"))
	}
	if code, _, body := a.signIn("sw_aaaaaaaa_wrong"); code != http.StatusUnauthorized || !strings.Contains(body, "not valid or was revoked") {
		t.Errorf("sign in with a wrong key = %d, want 401 saying so", code)
	}
	// A sign-in form posted from elsewhere has no login cookie.
	other := newDashClient(t, env)
	if code, _, _ := other.do("POST", "/app/login", url.Values{"csrf": {"x"}, "api_key": {key}}, nil); code != http.StatusForbidden {
		t.Errorf("sign in without the form's token = %d, want 403", code)
	}
	code, h, _ := a.signIn("  Bearer " + key + " ")
	if code != http.StatusSeeOther || h.Get("Location") != "/app/flags" {
		t.Fatalf("sign in = %d → %s, want the page asked for", code, h.Get("Location"))
	}
	cookie := ""
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, "shipwatch_session=") {
			cookie = c
		}
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	token := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "shipwatch_session=")
	su := dbtest.Superuser(t, env.DatabaseURL)
	var plain, hashed int
	digest := sha256.Sum256([]byte(token))
	if err := su.Get(&plain, `SELECT count(*) FROM dashboard_sessions WHERE token_hash = convert_to($1, 'UTF8')`, token); err != nil {
		t.Fatal(err)
	}
	if err := su.Get(&hashed, `SELECT count(*) FROM dashboard_sessions WHERE token_hash = $1`, digest[:]); err != nil {
		t.Fatal(err)
	}
	if plain != 0 || hashed != 1 {
		t.Errorf("sessions stored: %d with the token itself, %d with its SHA-256; want 0 and 1", plain, hashed)
	}

	if code, _, body := a.do("GET", "/app/flags", nil, nil); code != http.StatusOK || !strings.Contains(body, "1Z999AA10123456785") {
		t.Fatalf("GET /app/flags = %d, want the flag", code)
	}
	ack := "/app/flags/" + flagID + "/acknowledge"
	for name, tc := range map[string]struct {
		form   url.Values
		header map[string]string
	}{
		"no token":      {url.Values{}, nil},
		"wrong token":   {url.Values{"csrf": {"AAAA" + a.csrf[4:]}}, nil},
		"other origin":  {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": "http://evil.example"}},
		"another's key": {url.Values{"csrf": {signedInCSRF(t, env, keyB)}}, nil},
	} {
		if code, _, _ := a.do("POST", ack, tc.form, tc.header); code != http.StatusForbidden {
			t.Errorf("acknowledge with %s = %d, want 403", name, code)
		}
	}
	if code, _, _ := a.do("POST", ack, url.Values{"csrf": {a.csrf}, "back": {"https://evil.example/"}}, nil); code != http.StatusSeeOther {
		t.Errorf("acknowledge = %d, want 303", code)
	}

	// Another seller's session sees none of A's rows.
	var d struct{ OpenDispute struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($s: ID!) { openDispute(input: {shipmentId: $s, kind: NOT_RECEIVED}) { id } }`, map[string]any{"s": sh.CreateShipment.ID}, &d)
	imp := uploadFile(t, env, key, "a.csv", []byte("order_id,tracking_number\nA-2,\n"))
	waitImport(t, env, key, imp.ID, 30*time.Second)
	if code, _, body := a.do("GET", "/app/imports/"+imp.ID+"/errors", nil, nil); code != http.StatusOK || !strings.HasPrefix(body, "line,column,error") {
		t.Errorf("A's errors file through the session = %d %q", code, body)
	}
	if code, h, _ := a.do("GET", "/app/disputes/"+d.OpenDispute.ID+"/evidence.pdf", nil, nil); code != http.StatusOK || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("A's evidence pack through the session = %d %s", code, h.Get("Content-Type"))
	}
	b := newDashClient(t, env)
	b.signIn(keyB)
	b.do("GET", "/app/flags", nil, nil)
	for _, path := range []string{"/app/shipments/" + sh.CreateShipment.ID, "/app/imports/" + imp.ID, "/app/imports/" + imp.ID + "/errors",
		"/app/disputes/" + d.OpenDispute.ID + "/evidence.pdf"} {
		if code, _, _ := b.do("GET", path, nil, nil); code != http.StatusNotFound {
			t.Errorf("B GET %s = %d, want 404", path, code)
		}
	}
	if code, _, _ := b.do("POST", "/app/flags/"+flagID+"/resolve", url.Values{"csrf": {b.csrf}, "note": {"not mine"}}, nil); code != http.StatusNotFound {
		t.Errorf("B resolving A's flag = %d, want 404", code)
	}
	if code, _, body := b.do("GET", "/app/flags", nil, nil); code != http.StatusOK || strings.Contains(body, "1Z999AA10123456785") {
		t.Errorf("B's flags page = %d and shows A's flag: %v", code, strings.Contains(body, "1Z999AA10123456785"))
	}

	// The live stream of A's session ends when A's key is revoked, and so
	// does the session.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", env.URL+"/app/live", nil)
	resp, err := a.http.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /app/live = %v %v", resp, err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, "event: ") {
				return strings.TrimPrefix(l, "event: ")
			}
		}
		return "(end: " + errString(lines.Err()) + ")"
	}
	if ev := next(); ev != "ready" {
		t.Fatalf("first live event = %q, want ready", ev)
	}
	keys, err := env.App.Store.APIKeys(context.Background(), viewerID(t, env, key))
	if err != nil || len(keys) != 1 {
		t.Fatalf("APIKeys() = %v, %v", keys, err)
	}
	if _, err := env.App.Store.RevokeAPIKey(context.Background(), keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev != "ended" {
		t.Errorf("live event after the key was revoked = %q, want ended", ev)
	}
	if code, h, _ := a.do("GET", "/app/flags", nil, nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/app/login") {
		t.Errorf("GET /app/flags after the key was revoked = %d → %s, want the sign-in page", code, h.Get("Location"))
	}
	if code, _, _ := a.signIn(key); code != http.StatusUnauthorized {
		t.Errorf("sign in with the revoked key = %d, want 401", code)
	}
}

// signedInCSRF signs a fresh client in with key and returns its token.
func signedInCSRF(t *testing.T, env *apptest.Env, key string) string {
	c := newDashClient(t, env)
	c.signIn(key)
	c.do("GET", "/app/flags", nil, nil)
	return c.csrf
}

func viewerID(t *testing.T, env *apptest.Env, key string) string {
	var out struct{ Viewer struct{ ID string } }
	env.MustGraphQL(t, key, `{ viewer { id } }`, nil, &out)
	return out.Viewer.ID
}

func errString(err error) string {
	if err == nil {
		return "EOF"
	}
	return err.Error()
}

// Each number of the account-health page opens the shipments behind it,
// as HealthMetric.shipments lists them, for the whole window or a carrier.
func TestDashboardHealthDrillDown(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, keyB := env.Seller(t, "Other")
	shipped := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for _, in := range []map[string]any{
		{"orderId": "VTR-UPS", "carrier": "UPS", "trackingNumber": "1Z999AA10123456784", "shippedAt": shipped},
		{"orderId": "VTR-USPS", "carrier": "USPS", "trackingNumber": "9400111899223197428497", "shippedAt": shipped},
	} {
		env.MustGraphQL(t, key, `mutation($in: ShipmentInput!) { createShipment(input: $in) { id } }`, map[string]any{"in": in}, nil)
	}
	a := newDashClient(t, env)
	a.signIn(key)
	code, _, body := a.do("GET", "/app/", nil, nil)
	if code != http.StatusOK || !strings.Contains(body, `href="/app/health/VALID_TRACKING_RATE?marketplace=AMAZON&amp;days=30">2 count against it</a>`) {
		t.Fatalf("health page = %d, without a link to the 2 unscanned shipments:\n%s", code, body)
	}
	if code, _, body := a.do("GET", "/app/health/VALID_TRACKING_RATE?marketplace=AMAZON&days=30", nil, nil); code != http.StatusOK ||
		!strings.Contains(body, "VTR-UPS") || !strings.Contains(body, "VTR-USPS") {
		t.Errorf("the window's unscanned shipments = %d:\n%s", code, body)
	}
	if code, _, body := a.do("GET", "/app/health/VALID_TRACKING_RATE?carrier=ups", nil, nil); code != http.StatusOK ||
		!strings.Contains(body, "VTR-UPS") || strings.Contains(body, "VTR-USPS") {
		t.Errorf("UPS's unscanned shipments = %d:\n%s", code, body)
	}
	if code, _, body := a.do("GET", "/app/health/VALID_TRACKING_RATE?date=1999-01-01", nil, nil); code != http.StatusBadRequest ||
		!strings.Contains(body, "is not a day of the window") {
		t.Errorf("a date outside the window = %d:\n%s", code, body)
	}
	if code, _, _ := a.do("GET", "/app/health/NOT_A_METRIC", nil, nil); code != http.StatusBadRequest {
		t.Errorf("an unknown metric = %d, want 400", code)
	}
	b := newDashClient(t, env)
	b.signIn(keyB)
	if _, _, body := b.do("GET", "/app/health/VALID_TRACKING_RATE", nil, nil); strings.Contains(body, "VTR-UPS") {
		t.Error("another seller sees A's shipments behind the metric")
	}
}

// The account-health page projects each standard and shows the top of
// each metric's save queue, through the same use cases as
// accountHealthForecast and saveQueue.
func TestDashboardForecast(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, keyB := env.Seller(t, "Other")
	now := time.Now().UTC()
	for _, in := range []map[string]any{
		// Due tomorrow, not shipped: on the late-shipment queue.
		{"orderId": "DUE-SOON", "shipBy": now.Add(24 * time.Hour).Format(time.RFC3339)},
		// A mistyped number (its check digit fails): on the tracking queue.
		{"orderId": "TYPO", "carrier": "UPS", "trackingNumber": "1Z999AA10123456785", "shippedAt": now.Add(-time.Hour).Format(time.RFC3339)},
	} {
		env.MustGraphQL(t, key, `mutation($in: ShipmentInput!) { createShipment(input: $in) { id } }`, map[string]any{"in": in}, nil)
	}
	a := newDashClient(t, env)
	a.signIn(key)
	code, _, body := a.do("GET", "/app/", nil, nil)
	for _, want := range []string{`id="forecast"`, "Late shipment rate", `data-metric="LATE_SHIPMENT_RATE"`, "DUE-SOON", "Ship or upgrade",
		`data-metric="VALID_TRACKING_RATE"`, "TYPO", "Replace tracking number: 1Z999AA1012345678"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("health page = %d, without %q:\n%s", code, want, body)
		}
	}
	b := newDashClient(t, env)
	b.signIn(keyB)
	if _, _, body := b.do("GET", "/app/", nil, nil); strings.Contains(body, "DUE-SOON") || !strings.Contains(body, "No open shipment can change a metric now.") {
		t.Errorf("another seller's health page shows A's queue:\n%s", body)
	}
}
