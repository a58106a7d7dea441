package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLocalURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"[::1]:8080":     "http://[::1]:8080",
		"[::]:8080":      "http://[::1]:8080",
		"localhost:8080": "http://localhost:8080",
	} {
		if got := localURL(addr); got != want {
			t.Errorf("localURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// The container health check reaches a server listening on an IPv6
// loopback address, read from SHIPWATCH_ADDR as the server reads it.
func TestHealthcheckOnIPv6Address(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ready"}`)) //nolint:errcheck // test server
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	code, out, errOut := runCmd(t, envWith(map[string]string{"SHIPWATCH_ADDR": ln.Addr().String()}), "healthcheck")
	if code != 0 || !strings.Contains(out, "200") {
		t.Fatalf("healthcheck on %s = exit %d, %q %q; want 0 and 200", ln.Addr(), code, out, errOut)
	}
}

// demo and simulate find the server that make run started on
// SHIPWATCH_ADDR; SHIPWATCH_URL (a server elsewhere) comes first.
func TestServerURL(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, "http://127.0.0.1:8080"},
		{map[string]string{"SHIPWATCH_ADDR": ":9090"}, "http://127.0.0.1:9090"},
		{map[string]string{"SHIPWATCH_ADDR": "[::1]:9090"}, "http://[::1]:9090"},
		{map[string]string{"SHIPWATCH_ADDR": ":9090", "SHIPWATCH_URL": "https://sw.example"}, "https://sw.example"},
	}
	for _, tt := range tests {
		if got := serverURL(envWith(tt.env)); got != tt.want {
			t.Errorf("serverURL(%v) = %q, want %q", tt.env, got, tt.want)
		}
		opts, err := parseDemo(nil, envWith(tt.env))
		if err != nil || opts.url != tt.want {
			t.Errorf("parseDemo with %v: url %q, %v; want %q", tt.env, opts.url, err, tt.want)
		}
	}
}
