package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
)

// slowRate refills a token every 100 s: no request of a test gets one back.
func slowRate(burst int) config.Rate { return config.Rate{PerSecond: 0.01, Burst: burst} }

// postLimited sends a GraphQL request with optional key and X-Forwarded-For and
// returns the status, Retry-After and body.
func postLimited(t *testing.T, env *apptest.Env, key, forwardedFor string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

// want429 checks a refusal: 429, Retry-After in whole seconds, and a
// GraphQL-shaped RATE_LIMITED error.
func want429(t *testing.T, what string, status int, retry, body string) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d (%s), want 429", what, status, body)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 101 {
		t.Errorf("%s: Retry-After = %q, want whole seconds from 1 to 101", what, retry)
	}
	var out struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Errors) != 1 || out.Errors[0].Extensions.Code != "RATE_LIMITED" {
		t.Errorf("%s: body %s, want one GraphQL error with code RATE_LIMITED", what, body)
	}
}

func refusedMetric(t *testing.T, env *apptest.Env, reason string) float64 {
	t.Helper()
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	prefix := `shipwatch_http_refused_total{reason="` + reason + `"} `
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric line %q", line)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", prefix)
	return 0
}

// A burst over a key's limit gets 429 with Retry-After; another key is
// unaffected.
func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.RateKey = slowRate(3) })
	_, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	for i := range 3 {
		if status, _, body := postLimited(t, env, keyA, ""); status != http.StatusOK {
			t.Fatalf("request %d of the burst: status %d (%s), want 200", i+1, status, body)
		}
	}
	status, retry, body := postLimited(t, env, keyA, "")
	want429(t, "key A over its burst", status, retry, body)
	if status, _, body := postLimited(t, env, keyB, ""); status != http.StatusOK {
		t.Errorf("key B: status %d (%s), want 200", status, body)
	}
	if got := refusedMetric(t, env, "api_key"); got != 1 {
		t.Errorf("refused api_key = %v, want 1", got)
	}
}

// Requests without a key and failed key attempts count against the client
// address; behind a trusted proxy the address is X-Forwarded-For's, and
// another address is unaffected.
func TestRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.RateAddress = slowRate(3)
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	_, key := env.Seller(t, "A")
	const attacker = "198.51.100.7"
	postLimited(t, env, "", attacker)
	postLimited(t, env, "sw_wrong_key", attacker)
	if status, _, _ := postLimited(t, env, "sw_wrong_again", attacker); status != http.StatusUnauthorized {
		t.Fatalf("third attempt: status %d, want 401 (the burst is 3)", status)
	}
	status, retry, body := postLimited(t, env, "sw_wrong_key", attacker)
	want429(t, "a fourth wrong key", status, retry, body)
	status, retry, body = postLimited(t, env, "", attacker)
	want429(t, "a fourth request without a key", status, retry, body)
	// A client writes what it likes at the left of X-Forwarded-For: the
	// proxy's own entry, at the right, is the one believed.
	status, retry, body = postLimited(t, env, "", "203.0.113.99, "+attacker)
	want429(t, "a spoofed X-Forwarded-For", status, retry, body)

	if status, _, body := postLimited(t, env, "", "203.0.113.8"); status != http.StatusOK {
		t.Errorf("another address: status %d (%s), want 200", status, body)
	}
	if status, _, body := postLimited(t, env, key, "203.0.113.8"); status != http.StatusOK {
		t.Errorf("a valid key from another address: status %d (%s), want 200", status, body)
	}
	if got := refusedMetric(t, env, "address"); got != 3 {
		t.Errorf("refused address = %v, want 3", got)
	}
}

// Without trusted proxies, X-Forwarded-For is ignored: a client cannot
// give itself a fresh address per request.
func TestRateLimitIgnoresForwardedForByDefault(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.RateAddress = slowRate(2) })
	postLimited(t, env, "", "203.0.113.1")
	postLimited(t, env, "", "203.0.113.2")
	status, retry, body := postLimited(t, env, "", "203.0.113.3")
	want429(t, "a third address made up in X-Forwarded-For", status, retry, body)
}

// Webhooks have their own, generous, bucket per source and address; the
// probes are never limited.
func TestRateLimitWebhooksAndProbes(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.RateWebhook = slowRate(2)
		c.RateAddress = slowRate(1)
	})
	postHook := func(path string) *http.Response {
		resp, err := http.Post(env.URL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const src = "/webhooks/easypost/00000000-0000-4000-8000-000000000000"
	postHook(src)
	postHook(src)
	resp := postHook(src)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third webhook to one source: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := postHook("/webhooks/easypost/00000000-0000-4000-8000-000000000001"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another source: status %d, want 404 (not limited)", resp.StatusCode)
	}
	for range 5 {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			resp, err := http.Get(env.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200: probes are not limited", path, resp.StatusCode)
			}
		}
	}
	if got := refusedMetric(t, env, "webhook"); got != 1 {
		t.Errorf("refused webhook = %v, want 1", got)
	}
}

// closedWithin reads from conn until the server closes it, failing when
// that takes longer than within.
func closedWithin(t *testing.T, conn net.Conn, within time.Duration) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(within)) //nolint:errcheck // checked by the read below
	got, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s: read %q", within, got)
	}
	return got
}

// trickle writes one byte every 100 ms until the connection fails or stop
// is closed.
func trickle(conn net.Conn, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte("x")); err != nil {
			return
		}
	}
}

// A client that sends headers, or a body, a byte at a time is cut off.
func TestSlowRequestsCutOff(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.ReadHeaderTimeout = time.Second
		c.BodyTimeout = time.Second
	})
	addr := strings.TrimPrefix(env.URL, "http://")
	for _, tc := range []struct{ name, head string }{
		{"headers", "POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: "},
		{"body", "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"query\":\""},
		{"chunked body", "POST /webhooks/easypost/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(tc.head)); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		go trickle(conn, stop)
		// The limit is 1 s; 20 s leaves room for a loaded machine while
		// staying far below the minute the trickle would need.
		closedWithin(t, conn, 20*time.Second)
		close(stop)
		conn.Close()
	}
	if got := refusedMetric(t, env, "body_timeout"); got < 1 {
		t.Errorf("refused body_timeout = %v, want at least 1", got)
	}
}

// uploadHead is the start of a multipart upload, up to the file's bytes.
func uploadHead(t *testing.T, key string, fileSize int) string {
	t.Helper()
	ops := `{"query":"mutation($file: Upload!) { uploadShipments(file: $file) { id status } }","variables":{"file":null}}`
	parts := "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + ops + "\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{\"0\":[\"variables.file\"]}\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"0\"; filename=\"f.csv\"\r\nContent-Type: text/csv\r\n\r\n"
	size := len(parts) + fileSize + len("\r\n--B--\r\n")
	return "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
		"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n" + parts
}

// An upload trickling below the minimum rate is cut off, while one on a
// slow but honest link, well above the minimum, completes.
func TestSlowUploadCutOff(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) {
		c.UploadMinRate = 1 << 10
		c.UploadRateWindow = time.Second
	})
	_, key := env.Seller(t, "A")
	addr := strings.TrimPrefix(env.URL, "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(uploadHead(t, key, 1<<20) + "order_id,tracking_number\n")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go trickle(conn, stop)
	got := closedWithin(t, conn, 20*time.Second)
	close(stop)
	if !bytes.Contains(got, []byte(`"field":"file"`)) || !bytes.Contains(got, []byte("slower than 1024 bytes/s")) {
		t.Errorf("response before the close = %q, want BAD_USER_INPUT on file saying it was too slow", got)
	}
	if n := refusedMetric(t, env, "slow_upload"); n != 1 {
		t.Errorf("refused slow_upload = %v, want 1", n)
	}

	// 16 KiB/s, sixteen times the minimum, for about 3 s.
	var file bytes.Buffer
	file.WriteString("order_id,tracking_number\n")
	for i := 0; file.Len() < 48<<10; i++ {
		file.WriteString("A-" + strconv.Itoa(i) + ",1Z999AA10123456784\n")
	}
	honest, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer honest.Close()
	if _, err := honest.Write([]byte(uploadHead(t, key, file.Len()))); err != nil {
		t.Fatal(err)
	}
	for b := file.Bytes(); len(b) > 0; {
		n := min(len(b), 4<<10)
		if _, err := honest.Write(b[:n]); err != nil {
			t.Fatalf("honest upload cut off after %d bytes: %v", file.Len()-len(b), err)
		}
		b = b[n:]
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := honest.Write([]byte("\r\n--B--\r\n")); err != nil {
		t.Fatal(err)
	}
	honest.SetReadDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck // checked by the read below
	resp, err := http.ReadResponse(bufioReader(honest), nil)
	if err != nil {
		t.Fatalf("honest upload: no response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"uploadShipments":{"id"`)) {
		t.Errorf("honest upload: status %d, body %s; want the import", resp.StatusCode, body)
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
