package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Poll settings. A claim's lease outlives a run, so a replica that dies
// mid-run leaves its shipments to the next run after the lease; a run
// stops after runBudget and the next periodic job carries on.
const (
	pollLease     = 10 * time.Minute
	pollSyncEvery = 5 * time.Minute
	runBudget     = 50 * time.Second
	// reserveChunk: requests are reserved from the shared budget this many
	// at a time (what a run does not use of its last chunk is lost).
	reserveChunk = 32
	maxBackoff   = 15 * time.Minute
)

// errOurs marks a failure of ours (the database), not the carrier's: it
// ends the run without counting against the source's health.
var errOurs = errors.New("poll")

// ErrQuota means the account's hourly or daily budget is spent.
var ErrQuota = errors.New("the carrier account's request budget is spent")

// PollStats is what one run did, for logs and the benchmark.
type PollStats struct {
	Claimed, Polled, Closed int
	Requests                int
	Events, NotFound        int
	// Recycled counts events dropped as an earlier life of the number.
	Recycled int
	// Failed counts requests that failed; Quota says the run stopped on
	// the budget.
	Failed int
	Quota  bool
}

// PollAccount polls the account's due shipments, most urgent first, until
// none is due, the budget is spent, the carrier fails, or the run's time
// is up. Events go through RecordEvents like a webhook's; the outcome
// goes to the account's source health.
func (c *Carriers) PollAccount(ctx context.Context, sellerID, accountID string) (PollStats, error) {
	var st PollStats
	acct, err := c.store.CarrierAccount(ctx, sellerID, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil // removed since the job was queued
	}
	if err != nil {
		return st, err
	}
	now := c.svc.now()
	hs, err := c.store.SourceHealth(ctx, sellerID, []string{accountID})
	if err != nil {
		return st, err
	}
	failures := 0
	if len(hs) == 1 {
		if hs[0].RetryAt != nil && now.Before(*hs[0].RetryAt) {
			return st, nil // the carrier asked us to wait
		}
		failures = hs[0].ConsecutiveFailures
	}
	car := carrier.Carrier(acct.Carrier)
	if _, err := c.store.SyncPolls(ctx, sellerID, accountID, car.Code(), now, pollSyncEvery, c.policy.PrioritySQL()); err != nil {
		return st, err
	}
	cl, err := c.client(acct, true)
	if err != nil {
		return st, err
	}
	hourly, daily := c.Budget(acct)
	b := &budget{store: c.store, sellerID: sellerID, accountID: accountID, hourly: hourly, daily: daily, now: c.svc.now}
	ctx = context.WithValue(ctx, budgetKey{}, b)
	deadline := time.Now().Add(runBudget)
	claim := c.concurrency * car.BatchSize() * 4
	for time.Now().Before(deadline) {
		now = c.svc.now()
		targets, err := c.store.ClaimPolls(ctx, sellerID, accountID, now, pollLease, claim)
		if err != nil {
			return st, err
		}
		if len(targets) == 0 {
			break
		}
		st.Claimed += len(targets)
		stop, err := c.pollBatch(ctx, acct, cl, targets, &st, &failures, b)
		if err != nil || stop {
			return st, err
		}
	}
	return st, nil
}

// pollBatch polls claimed targets, records their events and health, and
// reschedules them. stop says the run must end (budget, carrier failing).
func (c *Carriers) pollBatch(ctx context.Context, acct store.CarrierAccount, cl *carrier.Client, targets []store.PollTarget,
	st *PollStats, failures *int, b *budget) (stop bool, err error) {
	car := carrier.Carrier(acct.Carrier)
	now := c.svc.now()
	states := make(map[string]carrier.PollState, len(targets))
	byNumber := map[string][]int{}
	updates := make([]store.PollUpdate, len(targets))
	var numbers []string
	for i, t := range targets {
		ps := carrier.PollState{Status: shipment.Status(t.Status), CreatedAt: t.CreatedAt, ShippedAt: t.ShippedAt,
			FirstScanAt: t.FirstScanAt, ShipBy: t.ShipBy, LastEventAt: deref(t.LastEventAt), Cancelled: t.CancelledAt != nil, InactiveHours: t.InactiveTrackingHours}
		states[t.ShipmentID] = ps
		updates[i] = store.PollUpdate{ShipmentID: t.ShipmentID, Priority: t.Priority}
		if ps.Closed() {
			updates[i].Done = true
			st.Closed++
			continue
		}
		if _, seen := byNumber[t.TrackingNumber]; !seen {
			numbers = append(numbers, t.TrackingNumber)
		}
		byNumber[t.TrackingNumber] = append(byNumber[t.TrackingNumber], i)
	}
	// Requests in flight at once, each with up to BatchSize numbers.
	type outcome struct {
		numbers []string
		results []carrier.Result
		err     error
	}
	var batches [][]string
	for i := 0; i < len(numbers); i += car.BatchSize() {
		batches = append(batches, numbers[i:min(i+car.BatchSize(), len(numbers))])
	}
	// The budget is granted in the claim's order, most urgent first, before
	// any request leaves: concurrent requests must not spend it in a
	// random order.
	granted, err := b.grant(ctx, len(batches))
	if err != nil {
		return true, err
	}
	if granted < len(batches) {
		st.Quota = true
		batches = batches[:granted]
	}
	outs := make([]outcome, len(batches))
	sem := make(chan struct{}, c.concurrency)
	var wg sync.WaitGroup
	var failed sync.Once
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, nums := range batches {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if runCtx.Err() != nil {
				outs[i].err = runCtx.Err()
				return
			}
			outs[i] = outcome{numbers: nums}
			outs[i].results, outs[i].err = cl.Track(runCtx, nums)
			if outs[i].err != nil && !errors.Is(outs[i].err, context.Canceled) {
				failed.Do(cancel) // the carrier is failing or the budget is spent: send no more
			}
		}()
	}
	wg.Wait()

	var (
		evs      []shipment.Event
		ok, bad  int
		firstErr error
		retry    time.Duration
	)
	scheduled := map[int]bool{}
	for _, o := range outs {
		if o.err != nil {
			if errors.Is(o.err, context.Canceled) {
				continue
			}
			if errors.Is(o.err, errOurs) {
				return true, o.err
			}
			if errors.Is(o.err, ErrQuota) {
				st.Quota = true
				continue
			}
			bad++
			st.Failed++
			if firstErr == nil {
				firstErr = o.err
			}
			var herr *carrier.HTTPError
			if errors.As(o.err, &herr) && herr.RetryAfter > retry {
				retry = herr.RetryAfter
			}
			continue
		}
		ok++
		for _, r := range o.results {
			st.Polled++
			if r.NotFound {
				st.NotFound++
			}
			for _, i := range byNumber[r.Number] {
				ps := states[targets[i].ShipmentID]
				kept := 0
				for _, e := range r.Events {
					if ps.Recycled(e.OccurredAt) {
						st.Recycled++
						continue
					}
					// The events answer for the number asked, whatever number
					// the carrier files them under (a package of a multi-piece
					// shipment, or none): they belong to the shipment polled.
					e.TrackingNumber = r.Number
					evs = append(evs, e)
					kept++
					ps = advance(ps, e)
				}
				result := "OK"
				switch {
				case r.NotFound:
					result = "NOT_FOUND"
				case kept == 0:
					result = "RECYCLED"
				}
				next, prio, open := c.policy.Next(ps, now, r.NotFound || kept == 0)
				updates[i] = store.PollUpdate{ShipmentID: targets[i].ShipmentID, Done: !open, Next: next, Priority: prio,
					Polled: true, Result: result}
				scheduled[i] = true
			}
		}
	}
	st.Requests = b.used()
	// Shipments not polled (the run stopped): due again after the back-off
	// or, on a spent budget, at the next hour.
	wait := retry
	if wait == 0 {
		wait = min(maxBackoff, time.Minute<<min(*failures, 4))
	}
	for i := range targets {
		if updates[i].Done || scheduled[i] {
			continue
		}
		next, result := now.Add(wait), "ERROR"
		if st.Quota && firstErr == nil {
			next, result = now.Truncate(time.Hour).Add(time.Hour), "QUOTA"
		}
		// Its urgency may have grown since it was scheduled.
		_, prio, _ := c.policy.Next(states[targets[i].ShipmentID], now, false)
		updates[i] = store.PollUpdate{ShipmentID: targets[i].ShipmentID, Next: next, Priority: prio, Result: result}
	}
	var lag *time.Duration
	if len(evs) > 0 {
		sortForInsert(acct.SellerID, evs)
		res, err := c.svc.RecordEvents(ctx, acct.SellerID, evs)
		if err != nil {
			return true, fmt.Errorf("poll %s: %w", acct.ID, err)
		}
		st.Events += len(res.Inserted)
		for _, e := range res.Inserted {
			if d := now.Sub(e.OccurredAt); lag == nil || d < *lag {
				lag = &d
			}
		}
	}
	if err := c.store.ReschedulePolls(ctx, acct.SellerID, now, updates); err != nil {
		return true, err
	}
	if ok > 0 || bad > 0 {
		o := source.Outcome{SellerID: acct.SellerID, SourceID: acct.ID, Kind: source.CarrierAccount, At: now, OK: ok, Failed: bad, Lag: lag}
		if bad > 0 && ok == 0 {
			o.Error = firstErr.Error()
			at := now.Add(wait)
			o.RetryAt = &at
			*failures++
		} else {
			*failures = 0
		}
		if err := c.store.RecordSourceOutcome(ctx, o); err != nil {
			return true, err
		}
	}
	return st.Quota || firstErr != nil, nil
}

// advance applies a polled event to the schedule's view of the shipment,
// as the store's refresh does to the shipment: the newest event gives the
// status, the earliest scan the first scan.
func advance(ps carrier.PollState, e shipment.Event) carrier.PollState {
	if e.Status.IsScan() && (ps.FirstScanAt == nil || e.OccurredAt.Before(*ps.FirstScanAt)) {
		at := e.OccurredAt
		ps.FirstScanAt = &at
	}
	if ps.LastEventAt.IsZero() || !e.OccurredAt.Before(ps.LastEventAt) {
		ps.Status, ps.LastEventAt = e.Status, e.OccurredAt
	}
	return ps
}

// budget hands out the account's requests, reserving them from the
// shared budget reserveChunk at a time.
type budget struct {
	store               *store.Store
	sellerID, accountID string
	hourly, daily       int
	now                 func() time.Time

	mu             sync.Mutex
	left, reserved int
}

type budgetKey struct{}

// takeRequest is every carrier client's hook: one request from the run's
// budget in ctx (none outside a poll run, as for a credentials test).
func takeRequest(ctx context.Context) error {
	b, ok := ctx.Value(budgetKey{}).(*budget)
	if !ok {
		return nil
	}
	return b.take(ctx)
}

func (b *budget) take(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left == 0 {
		if err := b.reserve(ctx, 1); err != nil {
			return err
		}
		if b.left == 0 {
			return ErrQuota
		}
	}
	b.left--
	return nil
}

// grant makes sure n requests are reserved for the run, and returns how
// many are (fewer when the budget ran out).
func (b *budget) grant(ctx context.Context, n int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.left < n {
		before := b.left
		if err := b.reserve(ctx, n-b.left); err != nil {
			return 0, err
		}
		if b.left == before {
			break
		}
	}
	return min(n, b.left), nil
}

// reserve takes up to want requests (at least reserveChunk at a time when
// the budget allows) from the shared budget, halving the ask until it fits.
func (b *budget) reserve(ctx context.Context, want int) error {
	for n := max(want, reserveChunk); n > 0; n /= 2 {
		ok, err := b.store.ReserveRequests(ctx, b.sellerID, b.accountID, n, b.now(), b.hourly, b.daily)
		if err != nil {
			return fmt.Errorf("%w: %w", errOurs, err)
		}
		if ok {
			b.left, b.reserved = b.left+n, b.reserved+n
			return nil
		}
	}
	return nil
}

// used is how many requests were taken.
func (b *budget) used() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserved - b.left
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// PollableAccounts lists every seller's live carrier accounts, for the
// periodic job that queues their polls.
func (c *Carriers) PollableAccounts(ctx context.Context) ([]jobs.PollAccount, error) {
	accts, err := c.store.PollableAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]jobs.PollAccount, len(accts))
	for i, a := range accts {
		out[i] = jobs.PollAccount{SellerID: a.SellerID, AccountID: a.ID}
	}
	return out, nil
}

// PollAccountDue is PollAccount for the job, which needs no statistics.
func (c *Carriers) PollAccountDue(ctx context.Context, sellerID, accountID string) error {
	_, err := c.PollAccount(ctx, sellerID, accountID)
	return err
}
