package dashboard

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// After signing in or posting a form the browser goes back to the
// dashboard only: never to another site (an open redirect would let a
// link to the sign-in page send a seller anywhere).
func TestRedirectsStayOnTheDashboard(t *testing.T) {
	for next, want := range map[string]string{
		"/app/flags?kind=STALLED": "/app/flags?kind=STALLED",
		"":                        "/app/",
		"https://evil.example/":   "/app/",
		"//evil.example/app/":     "/app/",
		"/app/\\evil":             "/app/",
		"/graphql":                "/app/",
		"/app/x\r\nLocation: y":   "/app/",
	} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
		r := httptest.NewRequest("POST", "/app/flags/1/resolve", strings.NewReader(url.Values{"back": {next}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if want == "/app/" {
			want = "/app/flags"
		}
		if got := back(r, "/app/flags"); got != want {
			t.Errorf("back(%q) = %q, want %q", next, got, want)
		}
	}
}

// The flags page's filters become the API's flag filter: a severity is
// the catalogue's kinds of that severity.
func TestFlagFilter(t *testing.T) {
	f, _, _, state := flagFilter(url.Values{"severity": {"CRITICAL"}})
	if state != "open" || f.Open == nil || !*f.Open {
		t.Errorf("default state = %q, open %v; want open flags", state, f.Open)
	}
	for _, k := range f.Kinds {
		if r, _ := flag.Of(k); r.Severity != flag.Critical {
			t.Errorf("severity CRITICAL lists %s, which is %s", k, r.Severity)
		}
	}
	if len(f.Kinds) == 0 {
		t.Error("severity CRITICAL lists no kind")
	}
	f, _, _, _ = flagFilter(url.Values{"kind": {"NOT_A_KIND"}, "state": {"all"}})
	if len(f.Kinds) != 1 || f.Kinds[0] != "NONE" || f.Open != nil {
		t.Errorf("an unknown kind = %+v, want a filter matching nothing, open or not", f)
	}
}

// Every page template parses with the layout.
func TestPagesParse(t *testing.T) {
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "error", "health", "failing", "flags", "shipments", "shipment", "imports", "import", "disputes"} {
		if p.t[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
}

// An account flag's row names its standard and links to its marketplace's
// account health over its window; the kind filter and a severity's kinds
// include PROJECTED_MISS.
func TestAccountFlagRows(t *testing.T) {
	for s, want := range map[string][2]string{
		"AMAZON/VALID_TRACKING_RATE/7":     {"Amazon valid tracking rate over 7 days", "/app/health?days=7&marketplace=AMAZON"},
		"WALMART/ON_TIME_DELIVERY_RATE/30": {"Walmart on time delivery rate over 30 days", "/app/health?days=30&marketplace=WALMART"},
		"something else":                   {"something else", "/app/health"},
		"AMAZON/VALID_TRACKING_RATE/seven": {"AMAZON/VALID_TRACKING_RATE/seven", "/app/health"},
	} {
		if text, link := subject(s); text != want[0] || link != want[1] {
			t.Errorf("subject(%q) = %q, %q, want %q, %q", s, text, link, want[0], want[1])
		}
	}
	f, _, _, _ := flagFilter(url.Values{"kind": {"PROJECTED_MISS"}})
	if len(f.Kinds) != 1 || f.Kinds[0] != flag.ProjectedMiss {
		t.Errorf("kind PROJECTED_MISS filters on %v", f.Kinds)
	}
	f, _, _, _ = flagFilter(url.Values{"severity": {"WARNING"}})
	found := false
	for _, k := range f.Kinds {
		found = found || k == flag.ProjectedMiss
	}
	if !found {
		t.Errorf("severity WARNING filters on %v, without PROJECTED_MISS", f.Kinds)
	}
}
