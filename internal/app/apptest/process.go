package apptest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/store"
)

// Process is the shipwatch binary serving as a child process: what a crash
// test can SIGKILL, and whose memory is the server's alone.
type Process struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *bytes.Buffer
	mu   *sync.Mutex
}

// Binary builds cmd/shipwatch into a directory removed when t ends and
// returns its path. The build cache makes all but the first build a link.
func Binary(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shipwatch")
	out, err := exec.Command("go", "build", "-o", path, "github.com/shipwatch/shipwatch/cmd/shipwatch").CombinedOutput()
	if err != nil {
		t.Fatalf("build shipwatch: %v\n%s", err, out)
	}
	return path
}

// StartProcess runs `shipwatch serve` on databaseURL until t ends (or Kill)
// and waits until it is ready. env adds KEY=value settings.
func StartProcess(t testing.TB, databaseURL string, env ...string) *Process {
	t.Helper()
	// The server picks its own port and logs it: a port picked here and
	// freed for it could be taken meanwhile by another test's server.
	p := &Process{done: make(chan struct{}), log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	p.cmd = exec.Command(Binary(t), "serve")
	p.cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "SHIPWATCH_ADDR=127.0.0.1:0",
		"SHIPWATCH_JOB_POLL_INTERVAL=50ms", "LOG_FORMAT=text", "LOG_LEVEL=info",
		// Tests send far more from one address than a client would; the
		// rate-limit tests set these themselves.
		"SHIPWATCH_RATE_ADDRESS=0", "SHIPWATCH_RATE_KEY=0", "SHIPWATCH_RATE_WEBHOOK=0")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = lockedWriter{p}, lockedWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start shipwatch: %v", err)
	}
	go func() {
		p.cmd.Wait() //nolint:errcheck // killed or crashed: Output tells
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("shipwatch output:\n%s", p.Output())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.URL == "" {
			if m := servingRE.FindStringSubmatch(p.Output()); m != nil {
				p.URL = "http://" + m[1]
			}
		}
		if p.URL != "" {
			resp, err := http.Get(p.URL + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return p
				}
			}
		}
		select {
		case <-p.done:
			t.Fatalf("shipwatch exited while starting:\n%s", p.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("shipwatch did not get ready:\n%s", p.Output())
		}
	}
}

// servingRE finds the address in the server's "shipwatch serving" line.
var servingRE = regexp.MustCompile(`msg="shipwatch serving" addr=(\S+)`)

// Kill stops the process at once with SIGKILL, as a crash or an OOM kill
// would: no shutdown, no cleanup.
func (p *Process) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // already gone is fine
	<-p.done
}

// PeakRSS returns the most resident memory the process has used so far
// (VmHWM from /proc), in bytes, on Linux.
func (p *Process) PeakRSS() (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
}

// Output returns what the process logged.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

type lockedWriter struct{ p *Process }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.log.Write(b)
}

// Env returns an Env for the process, to send it requests. Its App is nil:
// make sellers with SellerOn.
func (p *Process) Env() *Env { return &Env{URL: p.URL} }

// SellerOn creates a seller and an API key directly in a database.
func SellerOn(t testing.TB, databaseURL, name string) (id, key string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	s, err := st.InsertSeller(ctx, name)
	if err != nil {
		t.Fatalf("InsertSeller() error = %v", err)
	}
	if _, key, err = st.InsertAPIKey(ctx, s.ID); err != nil {
		t.Fatalf("InsertAPIKey() error = %v", err)
	}
	return s.ID, key
}
