// Package monitor holds Shipwatch's use cases: each one validates what a
// seller sent, writes it, and enqueues the work it causes in the same
// transaction, so a write and its follow-up jobs commit or fail together.
package monitor

import (
	"crypto/ed25519"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Service runs the use cases over one store, enqueueing on one River
// client.
type Service struct {
	store   *store.Store
	jobs    *jobs.Client
	key     *keyring.Key
	now     func() time.Time
	metrics *flagMetrics
	// guard refuses notification endpoints in the operator's networks.
	guard *netguard.Guard
	// checkpointKey signs evidence checkpoints.
	checkpointKey ed25519.PrivateKey
	// checkRound bounds the shipments of one round of a check turn, and
	// turnBudget how long a turn's job goes on with further rounds.
	checkRound int
	turnBudget time.Duration
	// registrar and limiter register uploaded numbers with 17TRACK.
	registrar Registrar
	limiter   Limiter
}

// Option configures a Service.
type Option func(*Service)

// WithSecretKey sets the key that seals notification signing secrets
// (the same key as webhook secrets'). Without it, a key that lives as long
// as the process is used: fine for tests, lost on restart.
func WithSecretKey(key *keyring.Key) Option { return func(s *Service) { s.key = key } }

// WithClock sets the clock every rule and write-caused check reads "now"
// from. Tests pin it so that no result depends on the day they run.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithCheckRound sets how many pending shipments one turn of a seller's
// check lane checks (default 1,000); tests make turns small.
func WithCheckRound(n int) Option { return func(s *Service) { s.checkRound = n } }

// WithCheckTurnBudget sets how long one job of a check lane goes on with
// the lane's next rounds before queuing them behind other sellers' turns
// (default 1 s); 0 makes every round a turn of its own.
func WithCheckTurnBudget(d time.Duration) Option { return func(s *Service) { s.turnBudget = d } }

// WithRegistry registers the flag metrics on reg.
func WithRegistry(reg prometheus.Registerer) Option {
	return func(s *Service) { s.metrics = newFlagMetrics(reg, s.store) }
}

// New returns a Service. jc enqueues the jobs writes cause; it may be an
// insert-only client.
func New(st *store.Store, jc *jobs.Client, opts ...Option) *Service {
	s := &Service{store: st, jobs: jc, key: processKey, now: time.Now, guard: netguard.New(nil, nil),
		checkpointKey: processCheckpointKey, checkRound: defaultCheckRound, turnBudget: defaultTurnBudget}
	for _, o := range opts {
		o(s)
	}
	return s
}

// processKey is the key of a Service built without WithSecretKey.
var processKey = func() *keyring.Key {
	k, _, err := keyring.Generate()
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}()
