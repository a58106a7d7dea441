package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/track17"
	"github.com/shipwatch/shipwatch/internal/track17/track17test"
)

const accountKey = "17track-account-key"

// virtualClock's sleeps return at once and move time on: rates are
// asserted by counting calls per window, never by wall time.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

type registerEnv struct {
	db     *sqlx.DB
	svc    *monitor.Service
	st     *store.Store
	hooks  *monitor.Webhooks
	fake   *track17test.Fake
	clock  *virtualClock
	starts *startLog
}

// startLog is the limiter the service waits on, recording the virtual
// time at which each wait was granted. The waits are taken one at a
// time: the clock only moves inside a wait (the limiter's sleep), so
// the time read right after one is the time it was granted, whatever
// the other worker's request is doing meanwhile. The fake's own arrival
// stamps are not used for the rate: a request granted at t can reach
// it after another worker's wait has moved the clock on.
type startLog struct {
	inner monitor.Limiter
	clock *virtualClock
	mu    sync.Mutex
	at    []time.Time
}

func (l *startLog) Wait(ctx context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.inner.Wait(ctx, key); err != nil {
		return err
	}
	l.at = append(l.at, l.clock.Now())
	return nil
}

func (l *startLog) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.at...)
}

// newRegisterEnv wires a Service to a fake 17TRACK and a limiter of
// perSecond calls, both on one virtual clock.
func newRegisterEnv(t *testing.T, perSecond int) registerEnv {
	t.Helper()
	key, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	clock := &virtualClock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	fake := track17test.New(accountKey, clock.Now)
	t.Cleanup(fake.Close)
	lim := &startLog{inner: track17.NewLimiterClock(perSecond, time.Second, clock.Now, clock.Sleep), clock: clock}
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db, monitor.WithSecretKey(key), monitor.WithRegistrar(track17.New(fake.URL(), nil), lim))
	return registerEnv{db: db, svc: svc, st: st, hooks: monitor.NewWebhooks(st, nil, key, ""), fake: fake, clock: clock, starts: lim}
}

// seller creates a seller with a 17TRACK source and n shipments, written
// in batches as the API writes them.
func (e registerEnv) seller(t *testing.T, name string, autoRegister bool, n int) (store.Seller, store.TrackingSource, []string) {
	t.Helper()
	ctx := context.Background()
	sel, err := e.st.InsertSeller(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.hooks.CreateSource(ctx, sel.ID, monitor.NewSource{Provider: monitor.ProviderSeventeenTrack, Secret: accountKey, AutoRegister: autoRegister})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	var batch []shipment.Input
	for i := 0; i < n; i++ {
		number := fmt.Sprintf("%sRG%08d", strings.ToUpper(name[:2]), i)
		numbers = append(numbers, number)
		batch = append(batch, shipment.Input{OrderID: fmt.Sprint("O-", i), TrackingNumber: number})
		if len(batch) == 50 || i == n-1 {
			if _, err := e.svc.CreateShipments(ctx, sel.ID, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	return sel, src, numbers
}

func countStates(t *testing.T, st *store.Store, sellerID, sourceID string) store.RegistrationCounts {
	t.Helper()
	c, err := st.CountRegistrations(context.Background(), sellerID, sourceID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// maxPerSecond is the most starts within any one second.
func maxPerSecond(starts []time.Time) int {
	most := 0
	for i := range starts {
		n := 0
		for _, c := range starts {
			if !c.Before(starts[i]) && c.Sub(starts[i]) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// 130 uploaded numbers go to 17TRACK in calls of at most 40, at most 3 a
// second, and end REGISTERED; each write enqueued the job in its own
// transaction.
func TestRegisterBatchesAndRate(t *testing.T) {
	e := newRegisterEnv(t, track17.RequestsPerSecond)
	ctx := context.Background()
	sel, src, numbers := e.seller(t, "Acme", true, 130)
	if c := countStates(t, e.st, sel.ID, src.ID); c.Pending != 130 {
		t.Fatalf("after upload: %+v, want 130 pending", c)
	}
	var jobs int
	if err := e.db.Get(&jobs, `SELECT count(*) FROM river_job WHERE kind = 'shipwatch.17track.register' AND args->>'source_id' = $1`, src.ID); err != nil {
		t.Fatal(err)
	}
	if jobs != 3 { // three write transactions of 50, 50 and 30
		t.Errorf("registration jobs enqueued = %d, want 3 (one per write)", jobs)
	}
	more, err := e.svc.RegisterPending(ctx, sel.ID, src.ID)
	if err != nil || more {
		t.Fatalf("RegisterPending() = %v, %v", more, err)
	}
	calls := e.fake.Calls()
	var sizes []int
	for _, c := range calls {
		sizes = append(sizes, len(c.Numbers))
	}
	if fmt.Sprint(sizes) != "[40 40 40 10]" {
		t.Errorf("call sizes = %v, want [40 40 40 10]", sizes)
	}
	if starts := e.starts.times(); len(starts) != len(calls) {
		t.Errorf("%d waits on the limiter for %d calls", len(starts), len(calls))
	} else if got := maxPerSecond(starts); got > 3 {
		t.Errorf("%d calls within one second, want at most 3", got)
	}
	if c := countStates(t, e.st, sel.ID, src.ID); c.Registered != 130 || c.Pending != 0 {
		t.Errorf("after registering: %+v, want 130 registered", c)
	}
	for _, n := range numbers {
		if !e.fake.Registered(n) {
			t.Fatalf("%s not registered at the fake", n)
		}
	}
	// Running again changes nothing: the job is idempotent.
	if _, err := e.svc.RegisterPending(ctx, sel.ID, src.ID); err != nil || len(e.fake.Calls()) != len(calls) {
		t.Errorf("second run: %v, %d calls (was %d)", err, len(e.fake.Calls()), len(calls))
	}
	// Writing the same shipments again queues nothing new.
	if _, err := e.svc.CreateShipments(ctx, sel.ID, []shipment.Input{{OrderID: "O-1", TrackingNumber: numbers[1]}}); err != nil {
		t.Fatal(err)
	}
	if c := countStates(t, e.st, sel.ID, src.ID); c.Pending != 0 {
		t.Errorf("rewrite queued %d numbers again", c.Pending)
	}
}

// Two workers registering for two sellers that share one 17TRACK account
// key wait on one limiter: together, at most 3 calls a second. The rate is
// read from the limiter's grants: one worker's wait moves the virtual
// clock while the other's request may still be on its way, so the fake,
// stamping arrivals, would count that request in the next second.
func TestRegisterLimitSharedByWorkers(t *testing.T) {
	e := newRegisterEnv(t, track17.RequestsPerSecond)
	e.fake.AcceptBursts()
	selA, srcA, _ := e.seller(t, "Alpha", true, 200)
	selB, srcB, _ := e.seller(t, "Bravo", true, 200)
	var wg sync.WaitGroup
	for _, s := range [][2]string{{selA.ID, srcA.ID}, {selB.ID, srcB.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.RegisterPending(context.Background(), s[0], s[1]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	calls := e.fake.Calls()
	if len(calls) != 10 {
		t.Errorf("%d calls, want 10 (5 of 40 per seller)", len(calls))
	}
	if starts := e.starts.times(); len(starts) != len(calls) {
		t.Errorf("%d waits on the limiter for %d calls", len(starts), len(calls))
	} else if got := maxPerSecond(starts); got > 3 {
		t.Errorf("%d calls within one second across the two workers, want at most 3", got)
	}
}

// A spent quota stops the job, keeps the unsent numbers pending and puts
// 17TRACK's words on the source; a later success clears them.
func TestRegisterQuotaSurfaced(t *testing.T) {
	e := newRegisterEnv(t, track17.RequestsPerSecond)
	ctx := context.Background()
	e.fake.SetQuota(50)
	sel, src, _ := e.seller(t, "Acme", true, 130)
	_, err := e.svc.RegisterPending(ctx, sel.ID, src.ID)
	if !errors.Is(err, monitor.ErrRegistrationHalted) {
		t.Fatalf("RegisterPending() = %v, want ErrRegistrationHalted", err)
	}
	if c := countStates(t, e.st, sel.ID, src.ID); c.Registered != 50 || c.Pending != 80 || c.Rejected != 0 {
		t.Errorf("after the quota ran out: %+v, want 50 registered, 80 pending", c)
	}
	got, err := e.st.TrackingSource(ctx, sel.ID, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastError == nil || !strings.Contains(*got.LastError, "quota") || got.LastErrorAt == nil {
		t.Errorf("source last error = %v, want 17TRACK's quota message", got.LastError)
	}
	e.fake.SetQuota(-1)
	e.clock.Sleep(ctx, time.Hour)
	if _, err := e.svc.RegisterPending(ctx, sel.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = e.st.TrackingSource(ctx, sel.ID, src.ID)
	if c := countStates(t, e.st, sel.ID, src.ID); c.Registered != 130 || got.LastError != nil || got.LastSuccessAt == nil {
		t.Errorf("after the quota was topped up: %+v, last error %v", c, got.LastError)
	}
}

// A number 17TRACK refuses is REJECTED with its reason; one it had
// already is REGISTERED, not an error.
func TestRegisterRejectedNumbers(t *testing.T) {
	e := newRegisterEnv(t, track17.RequestsPerSecond)
	ctx := context.Background()
	sel, src, numbers := e.seller(t, "Acme", true, 10)
	e.fake.Invalid(numbers[3])
	e.fake.Preregister(numbers[4])
	if _, err := e.svc.RegisterPending(ctx, sel.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	if c := countStates(t, e.st, sel.ID, src.ID); c.Registered != 9 || c.Rejected != 1 {
		t.Errorf("states = %+v, want 9 registered and 1 rejected", c)
	}
	rej, err := e.st.RejectedRegistrations(ctx, sel.ID, src.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].NormalizedTrackingNumber != numbers[3] || rej[0].ErrorCode == nil ||
		*rej[0].ErrorCode != track17test.CodeInvalidNumber || rej[0].ErrorMessage == nil {
		t.Errorf("rejected = %+v, want %s with 17TRACK's code and message", rej, numbers[3])
	}
	got, _ := e.st.TrackingSource(ctx, sel.ID, src.ID)
	if got.LastError != nil {
		t.Errorf("a rejected number set the source's error %q", *got.LastError)
	}
	// Another seller's registrations are not this one's.
	other, _ := e.st.InsertSeller(ctx, "Other")
	if c := countStates(t, e.st, other.ID, src.ID); c != (store.RegistrationCounts{}) {
		t.Errorf("another seller sees %+v", c)
	}
}

// A 429 (another replica spent the second) snoozes the job and gives the
// numbers back for the next attempt.
func TestRegisterRateLimitedElsewhere(t *testing.T) {
	e := newRegisterEnv(t, 10) // a limiter more generous than 17TRACK
	ctx := context.Background()
	sel, src, _ := e.seller(t, "Acme", true, 200)
	_, err := e.svc.RegisterPending(ctx, sel.ID, src.ID)
	var limited *monitor.ErrRegistrationRateLimited
	if !errors.As(err, &limited) || limited.RetryAfter < time.Second {
		t.Fatalf("RegisterPending() = %v, want ErrRegistrationRateLimited with a wait", err)
	}
	if c := countStates(t, e.st, sel.ID, src.ID); c.Registered != 120 || c.Pending != 80 {
		t.Errorf("states = %+v, want 120 registered and 80 pending", c)
	}
	e.clock.Sleep(ctx, limited.RetryAfter)
	if _, err := e.svc.RegisterPending(ctx, sel.ID, src.ID); err != nil && !errors.As(err, &limited) {
		t.Fatal(err)
	}
	var leased int
	if err := e.db.Get(&leased, `SELECT count(*) FROM tracking_registrations WHERE state = 'PENDING' AND leased_until IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if leased != 0 {
		t.Errorf("%d pending numbers still leased after a 429: the next job would skip them", leased)
	}
}

// Without autoRegister nothing is queued and no job is enqueued.
func TestRegisterOnlyWhenChosen(t *testing.T) {
	e := newRegisterEnv(t, track17.RequestsPerSecond)
	sel, src, _ := e.seller(t, "Acme", false, 10)
	if c := countStates(t, e.st, sel.ID, src.ID); c != (store.RegistrationCounts{}) {
		t.Errorf("states = %+v, want nothing queued", c)
	}
	var jobs int
	if err := e.db.Get(&jobs, `SELECT count(*) FROM river_job WHERE kind = 'shipwatch.17track.register'`); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 {
		t.Errorf("%d registration jobs enqueued without autoRegister", jobs)
	}
}
