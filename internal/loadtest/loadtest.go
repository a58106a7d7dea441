// Package loadtest measures how many carrier events Shipwatch's webhook
// receivers take, and proves that none it acknowledged is lost. It starts
// a real server on a loopback port over a database of its own, posts
// signed EasyPost webhooks from many senders for a bounded time, waits
// for the River jobs to process them, and reconciles: every event of
// every acknowledged webhook must be stored exactly once. Optionally it
// restarts PostgreSQL mid-load and checks that the server answered 5xx
// while the database was away, recovered by itself and still lost nothing.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// Options configure a run.
type Options struct {
	// DatabaseURL is the run's own database (created when missing). It
	// must be on a loopback host: the run fills it and restarts its server.
	DatabaseURL string
	// Duration is how long the senders post; Grace is how much longer a
	// webhook refused with a 5xx is retried; Drain bounds the wait for
	// the jobs to process everything.
	Duration, Grace, Drain time.Duration
	// Senders post concurrently, each waiting for its answer.
	Senders int
	// EventsPerWebhook is how many new carrier events each webhook carries.
	EventsPerWebhook int
	// Provider is whose webhooks are posted (monitor.Provider*; ""
	// is EasyPost), each in its own format and with its own signature.
	Provider string
	// Parcels is how many shipments exist; webhooks cycle through them.
	Parcels int
	// MaxWebhooks bounds the run in count as Duration bounds it in time.
	MaxWebhooks int64
	// RestartAt, when positive, calls Restart that long into the load:
	// it takes the database away and returns once it is back.
	RestartAt time.Duration
	Restart   func(context.Context) error
	// Log receives the server's warnings and the run's progress.
	Log *slog.Logger
}

// RestartCommand returns a Restart that runs a command, such as
// pg_ctlcluster --skip-systemctl-redirect 15 main restart.
func RestartCommand(name string, args ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %v: %w: %s", name, args, err, out)
		}
		return nil
	}
}

// Report is what a run measured.
type Report struct {
	Options Options
	Elapsed time.Duration // from the first send to the last answer

	Acked, Events          int64 // acknowledged webhooks and the events they carried
	Answers2xx, Answers4xx int64
	Answers5xx, ConnErrors int64
	Retries, GaveUp        int64 // retried attempts; webhooks never acknowledged
	P50, P99, Max          time.Duration

	// ProcessedAfter is how long after the last answer the last delivery
	// was processed, DrainedAfter the last job it caused (the monitoring
	// checks) finished; Stored is how many events the database holds.
	ProcessedAfter, DrainedAfter time.Duration
	Stored                       int64
	// Missing acknowledged events, Duplicated ones, Extra stored events
	// that no acknowledged webhook carried, and deliveries whose
	// processing recorded an error.
	Missing, Duplicated, Extra, FailedDeliveries int64
	// StaleShipments do not show their latest event's status and time.
	StaleShipments int64

	// Fault test: when the restart began and ended, the 5xx and
	// connection errors seen from its start on, and the first 2xx after
	// it ended.
	Restarted                 bool
	RestartStart, RestartEnd  time.Duration
	FirstFailure, LastFailure time.Duration
	FailuresDuringRestart     int64
	RecoveredAt               time.Duration
	RestartErr                error

	// CPU spent from the start of the load to the end of the drain, by
	// this process (server and senders together) and by the database
	// backends of the run.
	CPUProcess, CPUPostgres time.Duration
	// Together is how many providers' loads shared the run (RunTogether);
	// then the CPU figures are the whole run's, on the first report only.
	Together int
}

// OK reports whether the run kept every acknowledged event exactly once
// and, in a fault run, saw the outage and the recovery.
func (r Report) OK() bool {
	ok := r.Acked > 0 && r.Missing == 0 && r.Duplicated == 0 && r.FailedDeliveries == 0 && r.Answers4xx == 0 &&
		r.StaleShipments == 0
	if r.Restarted {
		ok = ok && r.RestartErr == nil && r.FailuresDuringRestart > 0 && r.RecoveredAt > 0
	}
	return ok
}

const secret = "loadtest-secret"

// Run starts a server, loads it and reconciles.
func Run(ctx context.Context, opts Options) (Report, error) {
	if opts.Provider == "" {
		opts.Provider = monitor.ProviderEasyPost
	}
	reps, err := run(ctx, opts, []string{opts.Provider})
	return reps[0], err
}

// RunTogether loads one server with several providers' webhooks at once:
// each provider gets its own seller, source and parcels and an equal share
// of the senders, and all send during the same seconds. Whatever else the
// machine runs meanwhile weighs on all of them alike, so their rates
// compare where runs one after another would not. CPU is counted for the
// run as a whole (on the first report only).
func RunTogether(ctx context.Context, opts Options, providers []string) ([]Report, error) {
	if len(providers) == 0 {
		return nil, errors.New("loadtest: no provider to run")
	}
	if opts.RestartAt > 0 {
		return nil, errors.New("loadtest: the fault test runs one provider")
	}
	opts.Senders = max(1, opts.Senders/len(providers))
	return run(ctx, opts, providers)
}

func run(ctx context.Context, opts Options, providers []string) ([]Report, error) {
	reps := make([]Report, len(providers))
	for i, p := range providers {
		reps[i].Options = opts
		reps[i].Options.Provider = p
		reps[i].Together = len(providers)
	}
	if err := opts.validate(); err != nil {
		return reps, err
	}
	log := opts.Log
	cfg := config.Default()
	cfg.DatabaseURL = opts.DatabaseURL
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 10 * time.Second
	// The load comes from one address as fast as it can: it measures the
	// server, not the operator's rate limits.
	cfg.RateAddress, cfg.RateKey, cfg.RateWebhook = config.Rate{}, config.Rate{}, config.Rate{}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return reps, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return reps, err
	}
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- a.Serve(srvCtx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			log.Warn("server stopped with an error", "err", err)
		}
	}()

	ws := make([]*workload, len(providers))
	for i := range providers {
		if ws[i], err = prepare(ctx, a, reps[i].Options); err != nil {
			return reps, err
		}
		ws[i].url = "http://" + ln.Addr().String() + ws[i].path
	}
	// The shipments' own checks are not the webhooks' work: they finish
	// before the clock and the CPU count start.
	if _, err := settle(ctx, a, time.Now().Add(opts.Drain)); err != nil {
		return reps, fmt.Errorf("loadtest: before the load: %w", err)
	}
	log.Info("load starting", "providers", providers, "senders", opts.Senders, "duration", opts.Duration,
		"events_per_webhook", opts.EventsPerWebhook, "parcels", opts.Parcels, "restart_at", opts.RestartAt)

	before := sampleCPU(ctx, a.DB)
	acked := make([][]int64, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acked[i] = w.load(ctx, &reps[i])
		}()
	}
	wg.Wait()
	if err := drain(ctx, a, ws[0], &reps[0]); err != nil {
		return reps, err
	}
	reps[0].CPUProcess, reps[0].CPUPostgres = sampleCPU(ctx, a.DB).since(before)
	for i, w := range ws {
		reps[i].ProcessedAfter, reps[i].DrainedAfter = reps[0].ProcessedAfter, reps[0].DrainedAfter
		if err := reconcile(ctx, a, w, acked[i], &reps[i]); err != nil {
			return reps, err
		}
	}
	return reps, nil
}

func (o Options) validate() error {
	switch {
	case o.DatabaseURL == "":
		return errors.New("loadtest: a database URL is required")
	case o.Duration <= 0 || o.Duration > time.Hour:
		return fmt.Errorf("loadtest: duration %v must be above 0 and at most 1h", o.Duration)
	case o.Senders < 1 || o.Senders > 1024:
		return fmt.Errorf("loadtest: senders %d must be between 1 and 1024", o.Senders)
	case o.EventsPerWebhook < 1 || o.EventsPerWebhook > 100:
		return fmt.Errorf("loadtest: events per webhook %d must be between 1 and 100", o.EventsPerWebhook)
	case o.Parcels < 1 || o.Parcels > 1_000_000:
		return fmt.Errorf("loadtest: parcels %d must be between 1 and 1000000", o.Parcels)
	case o.MaxWebhooks < 1:
		return errors.New("loadtest: max webhooks must be positive")
	case o.Log == nil:
		return errors.New("loadtest: a logger is required")
	case o.RestartAt < 0 || (o.RestartAt > 0 && (o.RestartAt >= o.Duration || o.Restart == nil)):
		return errors.New("loadtest: the restart must come within the load")
	}
	return loopbackOnly(o.DatabaseURL)
}

// load runs the senders and returns the sequence numbers of the
// acknowledged webhooks.
func (w *workload) load(ctx context.Context, rep *Report) []int64 {
	start := time.Now()
	w.start = start
	sendUntil := start.Add(w.opts.Duration)
	retryUntil := sendUntil.Add(w.opts.Grace)
	var restartDone chan struct{}
	if w.opts.RestartAt > 0 {
		restartDone = make(chan struct{})
		go func() {
			defer close(restartDone)
			w.restart(ctx, rep)
		}()
	}

	transport := &http.Transport{MaxIdleConns: w.opts.Senders, MaxIdleConnsPerHost: w.opts.Senders, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	results := make([]senderResult, w.opts.Senders)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.sender(ctx, client, sendUntil, retryUntil)
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	if restartDone != nil {
		<-restartDone
	}

	var acked []int64
	var latencies []time.Duration
	for _, r := range results {
		acked = append(acked, r.acked...)
		latencies = append(latencies, r.latencies...)
		rep.Answers4xx += r.answers4xx
		rep.Retries += r.retries
		rep.GaveUp += r.gaveUp
	}
	rep.Acked = int64(len(acked))
	rep.Events = rep.Acked * int64(w.opts.EventsPerWebhook)
	rep.Answers2xx = rep.Acked
	rep.Answers5xx, rep.ConnErrors = w.answers5xx.Load(), w.connErrors.Load()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		rep.P50, rep.P99, rep.Max = latencies[n/2], latencies[min(n-1, n*99/100)], latencies[n-1]
	}
	if rep.Restarted {
		w.failMu.Lock()
		rep.FirstFailure, rep.LastFailure, rep.FailuresDuringRestart = w.firstFailure, w.lastFailure, w.failures
		rep.RecoveredAt = w.recovered
		w.failMu.Unlock()
	}
	return acked
}

// restart restarts PostgreSQL at RestartAt and records when it was away.
func (w *workload) restart(ctx context.Context, rep *Report) {
	t := time.NewTimer(w.opts.RestartAt)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	w.failMu.Lock()
	w.restarting = true
	w.failMu.Unlock()
	rep.Restarted = true
	rep.RestartStart = time.Since(w.start)
	w.opts.Log.Warn("taking the database away")
	rep.RestartErr = w.opts.Restart(ctx)
	rep.RestartEnd = time.Since(w.start)
	w.failMu.Lock()
	w.restartEnded = rep.RestartEnd
	w.failMu.Unlock()
	w.opts.Log.Warn("database back", "took", (rep.RestartEnd - rep.RestartStart).Round(time.Millisecond), "err", rep.RestartErr)
}

// noteFailure records a 5xx or a connection error during the fault test.
func (w *workload) noteFailure(at time.Duration) {
	w.failMu.Lock()
	defer w.failMu.Unlock()
	if !w.restarting {
		return
	}
	if w.failures == 0 {
		w.firstFailure = at
	}
	w.failures++
	w.lastFailure = at
}

// noteSuccess records the first 2xx after the restart ended.
func (w *workload) noteSuccess(at time.Duration) {
	w.failMu.Lock()
	defer w.failMu.Unlock()
	if w.restarting && w.restartEnded > 0 && w.recovered == 0 && at > w.restartEnded {
		w.recovered = at
	}
}

// nextSeq hands out webhook sequence numbers until the count bound.
func (w *workload) nextSeq() (int64, bool) {
	s := w.seq.Add(1) - 1
	return s, s < w.opts.MaxWebhooks
}

// wait pauses a sender before a retry, doubling from 50ms to 2s.
func wait(ctx context.Context, attempt int) {
	d := min(50*time.Millisecond<<min(attempt, 6), 2*time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// counters shared by the senders.
type counters struct {
	answers5xx, connErrors atomic.Int64
}
