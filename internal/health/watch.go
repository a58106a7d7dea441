package health

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// watched are the marketplaces the outlook job projects for every seller:
// Shipwatch does not know which of them a seller sells on.
var watched = []Marketplace{Amazon, Walmart, EBay}

// Watch is the outlook job's work: it projects sellers' standards, one
// seller at a time, and raises a PROJECTED_MISS account flag when a
// projection crosses its target (met today, projected to miss it on the
// evaluation day), resolving it when the projection is back on target.
type Watch struct {
	health  *Service
	monitor *monitor.Service
	store   *store.Store
	now     func() time.Time
	// slack is how long before a projection started a write still counts
	// as after it (store.OutlookChanged).
	slack time.Duration
}

// changeSlack covers a transaction that wrote before a projection started
// and committed after the projection read, and the difference between
// this process's clock and the database's.
const changeSlack = 10 * time.Minute

// changesKept is how long the notes of writes are kept: longer than a
// projection can be relied on (a new day re-projects).
const changesKept = 48 * time.Hour

// NewWatch returns the outlook job's work over the projections of h,
// recording flags through mon.
func NewWatch(h *Service, mon *monitor.Service) *Watch {
	return &Watch{health: h, monitor: mon, store: h.store, now: time.Now, slack: changeSlack}
}

// dueBatch is how many due sellers are read at a time.
const dueBatch = 100

// Run projects, one seller after another, the sellers not run since
// `since` (the period's start), until none is left or budget has passed.
// A seller with nothing written since its last projection, on the same
// local day, is skipped (unchanged) and counted done for the period.
// It holds the job's advisory lock throughout, so with any number of
// replicas only one seller's forecast runs at a time. A seller whose
// projection fails is still marked done for the period (the next period
// tries again) so that it cannot hold the others back; its error is
// returned with the others once the run ends.
func (w *Watch) Run(ctx context.Context, since time.Time, budget time.Duration) (jobs.OutlookRun, error) {
	var run jobs.OutlookRun
	var errs []error
	ran, err := w.store.WithOutlookLock(ctx, func() error {
		start := time.Now()
		if err := w.store.PruneSellerChanges(ctx, w.now().Add(-changesKept)); err != nil {
			return err
		}
		// Each seller once per run, whatever the clocks say: a period
		// started by a leader whose clock is ahead of this process's
		// would leave the sellers just run still due.
		done := map[string]bool{}
		for {
			due, err := w.store.OutlookDue(ctx, since, dueBatch)
			if err != nil {
				return err
			}
			fresh := due[:0]
			for _, id := range due {
				if !done[id] {
					fresh = append(fresh, id)
				}
			}
			if len(fresh) == 0 {
				return nil
			}
			for _, sellerID := range fresh {
				done[sellerID] = true
				if time.Since(start) >= budget {
					run.More = true
					return nil
				}
				at := w.now()
				same, err := w.unchanged(ctx, sellerID, at)
				if err != nil {
					// Not known to be unchanged: projected.
					errs = append(errs, fmt.Errorf("seller %s: %w", sellerID, err))
				}
				if same {
					if err := w.store.RecordOutlookRun(ctx, sellerID, w.now(), true, nil); err != nil {
						return err
					}
					run.Skipped++
					continue
				}
				raised, resolved, err := w.Seller(ctx, sellerID, at)
				projected := &at
				if err != nil {
					errs = append(errs, fmt.Errorf("seller %s: %w", sellerID, err))
					projected = nil
				}
				if err := w.store.RecordOutlookRun(ctx, sellerID, w.now(), false, projected); err != nil {
					return err
				}
				run.Sellers++
				run.Raised += len(raised)
				run.Resolved += len(resolved)
			}
		}
	})
	run.Ran = ran
	return run, errors.Join(append(errs, err)...)
}

// unchanged reports whether the seller's last projection still holds at
// now: nothing of the seller's written since it started (less w.slack),
// and the same local day, so no window has moved to a new day. Two
// primary-key reads and the seller's settings; no shipment is read.
func (w *Watch) unchanged(ctx context.Context, sellerID string, now time.Time) (bool, error) {
	projected, changed, err := w.store.OutlookChanged(ctx, sellerID, w.slack)
	if err != nil || projected == nil || changed {
		return false, err
	}
	set, err := w.store.SellerSettings(ctx, sellerID)
	if err != nil {
		return false, err
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return false, fmt.Errorf("outlook: seller time zone: %w", err)
	}
	a, b := projected.In(loc), now.In(loc)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay(), nil
}

// Seller projects the seller's standards on every watched marketplace at
// now (zero: the current time) and records what changed; it returns the
// account flags raised and resolved.
func (w *Watch) Seller(ctx context.Context, sellerID string, now time.Time) (raised, resolved []flag.Flag, err error) {
	if now.IsZero() {
		now = time.Now()
	}
	for _, m := range watched {
		o, err := w.health.Forecast(ctx, sellerID, m, now)
		if err != nil {
			return raised, resolved, fmt.Errorf("outlook %s: %w", m, err)
		}
		r, s, err := w.monitor.ApplyOutlook(ctx, sellerID, string(m), now, func(prev []store.OutlookState) store.OutlookChanges {
			return crossings(prev, o, now)
		})
		if err != nil {
			return raised, resolved, err
		}
		raised, resolved = append(raised, r...), append(resolved, s...)
	}
	return raised, resolved, nil
}

// Subject names a standard over a window in an account flag:
// MARKETPLACE/METRIC/WINDOW_DAYS.
func Subject(m Marketplace, metric Metric, windowDays int) string {
	return string(m) + "/" + string(metric) + "/" + strconv.Itoa(windowDays)
}

// ParseSubject reads a subject written by Subject; ok is false for any
// other text.
func ParseSubject(s string) (m Marketplace, metric Metric, windowDays int, ok bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", 0, false
	}
	w, err := strconv.Atoi(parts[2])
	if err != nil || w <= 0 {
		return "", "", 0, false
	}
	return Marketplace(parts[0]), Metric(parts[1]), w, true
}

type outlookKey struct {
	metric string
	window int
}

// crossings decides one run's changes from the last run's states: a
// projection that crosses (Projection.Crossing) without a flag of its
// crossing raises one; a projection with one that is back on target (its
// projected status not FAILING) resolves it. A flag the seller resolved by
// hand stays the crossing's until then, so a crossing is flagged once. A
// state whose standard is no longer projected resolves its flag too.
func crossings(prev []store.OutlookState, o *Outlook, now time.Time) store.OutlookChanges {
	sev, _ := flag.AccountSeverity(flag.ProjectedMiss)
	ch := store.OutlookChanges{Kind: flag.ProjectedMiss, Severity: sev}
	last := make(map[outlookKey]store.OutlookState, len(prev))
	for _, s := range prev {
		last[outlookKey{s.Metric, s.WindowDays}] = s
	}
	for i := range o.Projections {
		p := &o.Projections[i]
		k := outlookKey{string(p.Metric), p.WindowDays}
		st := store.OutlookState{SellerID: o.SellerID, Marketplace: string(o.Marketplace), Metric: k.metric, WindowDays: k.window,
			Status: string(p.Status), CurrentStatus: string(p.Current.Status), Rate: p.Rate(), EvaluatedAt: p.EvaluatedAt,
			ComputedAt: now, FlagID: last[k].FlagID}
		delete(last, k)
		switch {
		case st.FlagID == nil && p.Crossing:
			ch.Raise = append(ch.Raise, store.AccountFlag{Subject: Subject(o.Marketplace, p.Metric, p.WindowDays),
				Message: missMessage(o, p), State: len(ch.States)})
		case st.FlagID != nil && p.Status != Failing:
			ch.Resolve = append(ch.Resolve, *st.FlagID)
			st.FlagID = nil
		}
		ch.States = append(ch.States, st)
	}
	for _, s := range last {
		if s.FlagID != nil {
			ch.Resolve = append(ch.Resolve, *s.FlagID)
			s.FlagID = nil
			ch.States = append(ch.States, s)
		}
	}
	return ch
}

var comparisonWords = map[Comparison]string{Above: "above", AtLeast: "at least", Below: "below", AtMost: "at most"}

// percent formats a rate as a percentage with one decimal.
func percent(r *float64) string {
	if r == nil {
		return "none"
	}
	return strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
}

// missMessage says what a PROJECTED_MISS flag is about, for people.
func missMessage(o *Outlook, p *Projection) string {
	evaluated := p.EvaluatedAt
	if o.Location != nil {
		evaluated = evaluated.In(o.Location)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s over %d days is projected at %s (90%% interval %s to %s) when the marketplace evaluates it on %s, missing its target (%s %s%%); it is %s today. ",
		p.Metric, o.Marketplace, p.WindowDays, percent(p.Rate()), percent(p.LowRate()), percent(p.HighRate()),
		evaluated.Format("2006-01-02"), comparisonWords[p.Target.Comparison],
		strconv.FormatFloat(float64(p.Target.BasisPoints)/100, 'f', -1, 64), percent(p.Current.Value.Rate()))
	fmt.Fprintf(&b, "%d orders can still change it: saveQueue(marketplace: %s, metric: %s).", p.Open, o.Marketplace, p.Metric)
	return b.String()
}
