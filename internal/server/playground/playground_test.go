package playground

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

// The page loads only what the binary serves: its script and style sheet,
// versioned by their content, under a policy that allows nothing else; the
// bundle speaks the websocket protocol the server does and names no CDN.
func TestPlaygroundIsSelfContained(t *testing.T) {
	page, assets := Handler("Shipwatch playground", "/graphql", "/playground")
	resp := get(t, page, "/")
	body, _ := io.ReadAll(resp.Body)
	html := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET / = %d %v", resp.StatusCode, resp.Header)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) != 2 {
		t.Fatalf("the page references %v, want its script and style sheet", refs)
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref[1], "/playground/graphiql.") || !strings.Contains(ref[1], "?v=") {
			t.Errorf("the page references %q, want a versioned asset of the server's", ref[1])
		}
		a := get(t, assets, ref[1])
		b, _ := io.ReadAll(a.Body)
		if a.StatusCode != http.StatusOK || len(b) < 10_000 || !strings.Contains(a.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d, %d bytes, %v", ref[1], a.StatusCode, len(b), a.Header)
		}
		for _, cdn := range []string{"//unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fonts.googleapis.com", "fonts.gstatic.com"} {
			if strings.Contains(string(b), cdn) {
				t.Errorf("%s names %s", ref[1], cdn)
			}
		}
	}
	if !strings.Contains(html, `\"Authorization\": \"Bearer \u003capi_key\u003e\"`) {
		t.Errorf("the headers pane is not prefilled with the Authorization header:\n%s", html)
	}
	if !strings.Contains(string(script.body), "graphql-transport-ws") {
		t.Error("the bundle does not speak graphql-transport-ws")
	}
	if r := get(t, assets, "/playground/other.js"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /playground/other.js = %d, want 404", r.StatusCode)
	}
}
