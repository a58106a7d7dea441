package simulate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The providers Run can impersonate.
const (
	ProviderEasyPost  = "easypost"
	ProviderAfterShip = "aftership"
)

// Options configure Run.
type Options struct {
	// BaseURL is the Shipwatch server, e.g. http://127.0.0.1:8080.
	BaseURL string
	// APIKey authenticates to the GraphQL API as one seller.
	APIKey string
	// Provider is ProviderEasyPost, ProviderAfterShip or ProviderCarriers.
	Provider string
	// FakeHost is the address the fake carriers listen on for
	// ProviderCarriers (default 127.0.0.1): the server must reach it.
	FakeHost string
	// Rate is how many webhooks to send per second.
	Rate float64
	// Duration stops sending after this long; zero plays every life.
	Duration time.Duration
	// Until, when set, plays only the events that have happened by then,
	// so that a shipment shipped yesterday is still on its way rather than
	// delivered in the future. Zero plays whole lives.
	Until time.Time
	// Mix weighs the outcomes; nil means DefaultMix.
	Mix Mix
	// Seed makes the lives reproducible: the same seed gives a shipment
	// the same life whatever order the API lists it in.
	Seed uint64
	// Log receives progress and rejections; nil discards them.
	Log *slog.Logger
	// HTTPClient sends every request; nil means a client with a 15s timeout.
	HTTPClient *http.Client
}

// Stats count what a run did.
type Stats struct {
	// Shipments had a life played; Skipped had no tracking number or
	// shipping time.
	Shipments, Skipped int
	// Sent webhooks were delivered at least once, Accepted answered 2xx,
	// Rejected answered another 4xx or 3xx, Failed still 5xx or
	// unreachable after every retry.
	Sent, Accepted, Rejected, Failed int
	// Retries are extra attempts after a 5xx, 408, 429 or network error.
	Retries int
	// Events are the carrier events first carried by accepted webhooks.
	Events int
}

// Limits of a run and of the retries of one webhook.
const (
	maxAttempts   = 5
	retryBase     = 100 * time.Millisecond
	retryMax      = 5 * time.Second
	maxInFlight   = 32
	progressEvery = 10 * time.Second
	giveUpAfter   = 10 // consecutive refusals before any acceptance
	userAgent     = "shipwatch-simulate"
	secretLength  = 32
)

// Run plays carrier lives against a Shipwatch server through its public
// API: it lists the seller's shipments over GraphQL, creates a tracking
// source with a fresh random secret, then posts signed webhooks at
// opts.Rate, one per new event and each carrying every event so far, until
// every life is played, opts.Duration passes or ctx ends. One shipment's
// webhooks go out in order; different shipments' interleave. It returns
// ctx's error if ctx ended first, the stats in every case.
func Run(ctx context.Context, opts Options) (Stats, error) {
	var stats Stats
	if err := opts.validate(); err != nil {
		return stats, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	a := &api{endpoint: base + "/graphql", apiKey: opts.APIKey, http: client}

	list, skipped, err := a.shipments(ctx)
	if err != nil {
		return stats, err
	}
	stats.Shipments, stats.Skipped = len(list), skipped
	if len(list) == 0 {
		// No tracking source is created for nothing to play.
		log.Info("no shipments to simulate", "skipped", skipped)
		return stats, nil
	}
	if opts.Provider == ProviderCarriers {
		err := runCarriers(ctx, opts, a, list, &stats, log)
		log.Info("simulation done", "requests", stats.Sent, "events", stats.Events)
		return stats, err
	}
	secret, err := newSecret()
	if err != nil {
		return stats, err
	}
	sourceID, hook, err := a.createSource(ctx, opts.Provider, secret)
	if err != nil {
		return stats, err
	}
	target, err := webhookTarget(base, hook)
	if err != nil {
		return stats, err
	}
	mix := opts.Mix
	if mix == nil {
		mix = DefaultMix()
	}
	plays := make([]*play, 0, len(list))
	for _, s := range list {
		life := NewLife(s, mix, lifeRand(opts.Seed, s.TrackingNumber))
		if !opts.Until.IsZero() {
			life.Events = life.Before(opts.Until)
		}
		if len(life.Events) > 0 {
			plays = append(plays, &play{life: life})
		}
	}
	log.Info("simulation starting", "provider", opts.Provider, "source_id", sourceID, "webhook_url", target,
		"shipments", len(list), "skipped", skipped, "rate", opts.Rate, "mix", mix.String())

	r := &runner{opts: opts, client: client, target: target, secret: secret, log: log, stats: &stats}
	err = r.loop(ctx, plays)
	log.Info("simulation done", "sent", stats.Sent, "accepted", stats.Accepted, "rejected", stats.Rejected,
		"failed", stats.Failed, "retries", stats.Retries, "events", stats.Events)
	return stats, err
}

func (o Options) validate() error {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("simulate: base URL %q is not an http(s) URL", o.BaseURL)
	}
	if o.APIKey == "" {
		return errors.New("simulate: an API key is required")
	}
	if o.Provider != ProviderEasyPost && o.Provider != ProviderAfterShip && o.Provider != ProviderCarriers {
		return fmt.Errorf("simulate: provider %q is not %s, %s or %s", o.Provider, ProviderEasyPost, ProviderAfterShip, ProviderCarriers)
	}
	if !(o.Rate > 0) || o.Rate > 10_000 {
		return fmt.Errorf("simulate: rate %v must be above 0 and at most 10000 per second", o.Rate)
	}
	if o.Duration < 0 {
		return fmt.Errorf("simulate: duration %v is negative", o.Duration)
	}
	if o.Mix != nil && o.Mix.Total() == 0 {
		return errors.New("simulate: the mix gives no outcome a positive weight")
	}
	return nil
}

// webhookTarget resolves the source's webhookUrl: a path is joined to the
// base URL, a full URL is used as given.
func webhookTarget(base, hook string) (string, error) {
	if strings.HasPrefix(hook, "/") {
		return base + hook, nil
	}
	u, err := url.Parse(hook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("simulate: webhookUrl %q is neither a path nor an http(s) URL", hook)
	}
	return hook, nil
}

// newSecret is a fresh webhook secret, 32 random bytes in hex.
func newSecret() (string, error) {
	b := make([]byte, secretLength)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("simulate: make secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// lifeRand seeds one shipment's randomness from the run's seed and its
// tracking number, so lives do not depend on listing order.
func lifeRand(seed uint64, trackingNumber string) *mathrand.Rand {
	h := fnv.New64a()
	h.Write([]byte(trackingNumber))
	return mathrand.New(mathrand.NewPCG(seed, h.Sum64()))
}

// play is one shipment's life and how much of it has been sent.
type play struct {
	life Life
	next int // events[:next] have been sent
}

type runner struct {
	opts   Options
	client *http.Client
	target string
	secret string
	log    *slog.Logger

	mu      sync.Mutex
	stats   *Stats
	refused int // consecutive refusals while nothing was accepted
}

// errRefused stops a run whose server refuses everything it is sent.
var errRefused = errors.New("simulate: the server refused every webhook")

// loop sends the next webhook of a ready shipment at each tick of the rate
// until every life is played, the duration passes or ctx ends.
func (r *runner) loop(ctx context.Context, plays []*play) error {
	if len(plays) == 0 {
		return nil
	}
	ready := make(chan *play, len(plays))
	for _, p := range plays {
		ready <- p
	}
	remaining := len(plays)
	finished := make(chan struct{}, len(plays))
	var deadline <-chan time.Time
	if r.opts.Duration > 0 {
		timer := time.NewTimer(r.opts.Duration)
		defer timer.Stop()
		deadline = timer.C
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / r.opts.Rate))
	defer tick.Stop()
	slots := make(chan struct{}, min(maxInFlight, max(1, int(r.opts.Rate))))
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	go r.progress(stop)

	for remaining > 0 {
		var p *play
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-finished:
			remaining--
			continue
		case p = <-ready:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-tick.C:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case slots <- struct{}{}:
		}
		if r.gaveUp() {
			return errRefused
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.send(ctx, p)
			if p.next < len(p.life.Events) {
				ready <- p
			} else {
				finished <- struct{}{}
			}
		}()
	}
	return nil
}

// progress logs the counts every progressEvery until stop closes, so a
// long run shows it is alive.
func (r *runner) progress(stop <-chan struct{}) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.mu.Lock()
			st := *r.stats
			r.mu.Unlock()
			r.log.Info("simulation progress", "sent", st.Sent, "accepted", st.Accepted, "rejected", st.Rejected,
				"failed", st.Failed, "retries", st.Retries)
		}
	}
}

// send delivers the webhook for the next event of p, retrying while the
// server is down or busy.
func (r *runner) send(ctx context.Context, p *play) {
	events := p.life.Events[:p.next+1]
	s := p.life.Shipment
	var body []byte
	var header, signature string
	if r.opts.Provider == ProviderAfterShip {
		body = AfterShipPayload(s.TrackingNumber, s.Carrier, events, time.Now())
		header, signature = SignAfterShip(body, r.secret)
	} else {
		body = EasyPostPayload(s.TrackingNumber, s.Carrier, events, time.Now())
		header, signature = SignEasyPost(body, r.secret)
	}
	p.next++
	last := events[len(events)-1]
	log := r.log.With("tracking_number", s.TrackingNumber, "status", last.Status, "event", len(events))

	for attempt := 1; ; attempt++ {
		status, wait, err := r.post(ctx, body, header, signature)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && status >= 200 && status < 300:
			r.count(func(st *Stats) { st.Accepted++; st.Events++ }, attempt, true)
			log.Debug("webhook accepted", "http_status", status)
			return
		case err == nil && !retryable(status):
			r.count(func(st *Stats) { st.Rejected++ }, attempt, false)
			log.Warn("webhook rejected", "http_status", status)
			return
		case attempt == maxAttempts:
			r.count(func(st *Stats) { st.Failed++ }, attempt, false)
			log.Warn("webhook failed", "http_status", status, "err", err, "attempts", attempt)
			return
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// post makes one attempt; wait is the server's Retry-After, if any.
func (r *runner) post(ctx context.Context, body []byte, header, signature string) (status int, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.target, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(header, signature)
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)); err != nil {
		return 0, 0, err
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		wait = min(time.Duration(secs)*time.Second, retryMax)
	}
	return resp.StatusCode, wait, nil
}

// count records the outcome of one webhook delivered in attempts tries.
func (r *runner) count(outcome func(*Stats), attempts int, accepted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Sent++
	r.stats.Retries += attempts - 1
	outcome(r.stats)
	switch {
	case accepted:
		r.refused = -1 // something got through: the server is not refusing us
	case r.refused >= 0:
		r.refused++
	}
}

// gaveUp reports whether the first webhooks were all refused, which means
// a wrong URL, key or secret rather than a busy server.
func (r *runner) gaveUp() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused >= giveUpAfter
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// backoff doubles from retryBase up to retryMax, with jitter so that
// retries from many workers do not arrive together.
func backoff(attempt int) time.Duration {
	d := retryBase << (attempt - 1)
	if d <= 0 || d > retryMax {
		d = retryMax
	}
	return d/2 + mathrand.N(d/2+1)
}
