package soak

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is `shipwatch serve` running as a child process, as an operator
// runs it: its own memory, its own connection pool, its own River client.
type server struct {
	url    string
	binary string
	env    []string
	cmd    *exec.Cmd
	done   chan struct{}

	mu    sync.Mutex
	tail  []string       // the last lines it logged, for an error report
	warns int            // lines logged at WARN or ERROR
	kinds map[string]int // those lines by level and message
	first map[string]string
}

// buildServer builds cmd/shipwatch into dir.
func buildServer(ctx context.Context, dir string) (string, error) {
	path := filepath.Join(dir, "shipwatch")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", path, "github.com/shipwatch/shipwatch/cmd/shipwatch").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build shipwatch: %w\n%s", err, out)
	}
	return path, nil
}

var servingRE = regexp.MustCompile(`msg="shipwatch serving" addr=(\S+)`)

// startServer runs `shipwatch serve` on databaseURL and waits until it
// answers /readyz. The server migrates the fresh database on start.
func startServer(ctx context.Context, binary, databaseURL string, sweep time.Duration) (*server, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	s := &server{binary: binary, done: make(chan struct{})}
	s.env = append(os.Environ(), "DATABASE_URL="+databaseURL, "SHIPWATCH_ADDR=127.0.0.1:0",
		"SHIPWATCH_SWEEP_INTERVAL="+sweep.String(), "SHIPWATCH_SECRET_KEY="+base64.StdEncoding.EncodeToString(key[:]),
		"LOG_FORMAT=text", "LOG_LEVEL=info",
		// The soak drives one server from one address as hard as it can:
		// it measures the server, not the operator's rate limits.
		"SHIPWATCH_RATE_ADDRESS=0", "SHIPWATCH_RATE_KEY=0", "SHIPWATCH_RATE_WEBHOOK=0")
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Env = s.env
	out, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout = s.cmd.Stderr
	addr := make(chan string, 1)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start shipwatch: %w", err)
	}
	go s.read(out, addr)
	go func() {
		s.cmd.Wait() //nolint:errcheck // stopped or crashed: the caller checks exited
		close(s.done)
	}()
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		return nil, fmt.Errorf("shipwatch exited while starting:\n%s", s.lastLines())
	case <-deadline.C:
		s.stop()
		return nil, fmt.Errorf("shipwatch did not start within 2 minutes:\n%s", s.lastLines())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("shipwatch exited while starting:\n%s", s.lastLines())
		case <-deadline.C:
			s.stop()
			return nil, fmt.Errorf("shipwatch not ready within 2 minutes:\n%s", s.lastLines())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// read keeps the last lines of the server's log and counts its warnings.
func (s *server) read(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		if !sent {
			if m := servingRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
				sent = true
			}
		}
		s.mu.Lock()
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			s.warns++
			k := warningKind(line)
			if s.kinds == nil {
				s.kinds, s.first = map[string]int{}, map[string]string{}
			}
			if s.kinds[k] == 0 {
				s.first[k] = line
			}
			s.kinds[k]++
		}
		s.tail = append(s.tail, line)
		if len(s.tail) > 40 {
			s.tail = s.tail[len(s.tail)-40:]
		}
		s.mu.Unlock()
	}
}

func (s *server) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

func (s *server) warnings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.warns
}

// Warning is one kind of warning or error the server logged: its level and
// message, how many times, and the first such line in full.
type Warning struct {
	Kind  string
	Count int
	First string
}

// warningKinds returns the kinds logged, the most frequent first.
func (s *server) warningKinds() []Warning {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Warning, 0, len(s.kinds))
	for k, n := range s.kinds {
		out = append(out, Warning{Kind: k, Count: n, First: s.first[k]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

var (
	levelRE = regexp.MustCompile(`level=(WARN|ERROR)`)
	msgRE   = regexp.MustCompile(`msg=("(?:[^"\\]|\\.)*"|\S+)`)
)

// warningKind is a logged line's level and message (slog's text format),
// without its attributes: the lines of one cause group together.
func warningKind(line string) string {
	level, msg := "", line
	if m := levelRE.FindStringSubmatch(line); m != nil {
		level = m[1]
	}
	if m := msgRE.FindStringSubmatch(line); m != nil {
		msg = m[1]
		if u, err := strconv.Unquote(msg); err == nil {
			msg = u
		}
	}
	return level + " " + msg
}

// exited reports whether the process has ended (crashed, if not stopped).
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop shuts the server down as an operator would (SIGTERM), killing it
// if it does not exit within a minute, and returns once it is gone: its
// backends have then flushed their statistics.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // already gone is fine
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill() //nolint:errcheck // already gone is fine
		<-s.done
	}
}

// createSeller runs `shipwatch seller create` on the server's database and
// returns the seller's id and first API key.
func (s *server) createSeller(ctx context.Context, name string) (id, key string, err error) {
	cmd := exec.CommandContext(ctx, s.binary, "seller", "create", "--name", name)
	cmd.Env = s.env
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("shipwatch seller create: %w", err)
	}
	var v struct {
		SellerID string `json:"seller_id"`
		APIKey   string `json:"api_key"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.SellerID == "" || v.APIKey == "" {
		return "", "", fmt.Errorf("shipwatch seller create printed %q", out)
	}
	return v.SellerID, v.APIKey, nil
}
