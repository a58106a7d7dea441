package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/config"
)

const healthcheckHelp = `Usage: shipwatch healthcheck [--url URL]

Asks a running server's /readyz and exits 0 when it is ready, 1 otherwise:
the container health check, for images without curl. The URL defaults to
the local listen address (SHIPWATCH_ADDR).

Flags:
`

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "base URL of the server (default http://127.0.0.1 on SHIPWATCH_ADDR's port)")
	fs.Usage = func() { fmt.Fprint(stderr, healthcheckHelp); fs.PrintDefaults() }
	if code, done := parse(fs, args); done {
		return code
	}
	if *url == "" {
		cfg, err := config.Load(getenv, "")
		if err != nil {
			fmt.Fprintln(stderr, "shipwatch: bad configuration:", err)
			return 2
		}
		*url = localURL(cfg.Addr)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*url, "/")+"/readyz", nil)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch healthcheck:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	fmt.Fprintf(stdout, "%d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

// localURL is the base URL that reaches a listen address from the same
// host: the address's own host when it names one ("[::1]:8080",
// "127.0.0.1:8080"), loopback when it listens on every interface (":8080",
// "0.0.0.0:8080", "[::]:8080"). IPv6 hosts are bracketed.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil { // config.Load validated it; keep the old reading anyway
		_, port, _ = strings.Cut(addr, ":")
		host = ""
	}
	switch ip := net.ParseIP(host); {
	case host == "" || host == "0.0.0.0":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serverURL is where the client commands (demo, simulate) find the server:
// SHIPWATCH_URL when set, else the listen address SHIPWATCH_ADDR as reached
// from this host (the same variable make run's server reads), else port
// 8080 on loopback.
func serverURL(getenv config.Env) string {
	if u := getenv("SHIPWATCH_URL"); u != "" {
		return u
	}
	if a := getenv("SHIPWATCH_ADDR"); a != "" {
		return localURL(a)
	}
	return "http://127.0.0.1:8080"
}
