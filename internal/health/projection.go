package health

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// z90 bounds the central 90% of a normal distribution.
const z90 = 1.6448536269514722

// openSinceDays is how far back (by when Shipwatch received them) open
// shipments are read: the longest window (90 days) and its horizon.
const openSinceDays = 120

// Horizon is how many days after today the marketplace is taken to
// evaluate a window of w days: half the window, at most a week (7 days:
// 3; 10: 5; 14 and longer: 7). The projection is of the window that ends
// with that day.
func Horizon(w int) int { return min(7, w/2) }

// Projection is one standard over one window as the marketplace will
// count it at the end of its evaluation day, from every shipment keyed in
// the window: the settled ones as they stand, each open one by its
// probability.
type Projection struct {
	Standard
	WindowDays int
	// From is the window's start: midnight of its first day. EvaluatedAt
	// is its end: the end of the evaluation day (Horizon days from today).
	From, EvaluatedAt time.Time
	Denominator       int
	// Known is the numerator if no open outcome changed; Open how many
	// shipments of the window can still change.
	Known, Open int
	// Expected is the projected numerator (the mean of the open outcomes'
	// Poisson-binomial sum); Low and High bound its central 90% by the
	// normal approximation, clipped to what is possible.
	Expected, Low, High float64
	// Current is today's value of the standard over the same window length.
	Current StandardValue
	Status  Status
	// Crossing is true when the standard meets its target today but the
	// projection misses it.
	Crossing bool

	outcomes []outcome
}

func ratio(n float64, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := n / float64(d)
	return &r
}

// Rate is the projected rate; nil when nothing counts in the window.
func (p *Projection) Rate() *float64 { return ratio(p.Expected, p.Denominator) }

// LowRate is the low end of the rate's 90% interval.
func (p *Projection) LowRate() *float64 { return ratio(p.Low, p.Denominator) }

// HighRate is the high end of the rate's 90% interval.
func (p *Projection) HighRate() *float64 { return ratio(p.High, p.Denominator) }

// Outlook is a marketplace's standards projected, at Now.
type Outlook struct {
	SellerID    string
	Marketplace Marketplace
	Now         time.Time
	// Location is the seller's time zone, which the windows' days are in.
	Location    *time.Location
	Projections []Projection
}

// Forecast projects every standard of the marketplace over each of its
// windows to its evaluation day, at now (zero: the current time).
func (s *Service) Forecast(ctx context.Context, sellerID string, m Marketplace, now time.Time) (*Outlook, error) {
	list, err := StandardsFor(m)
	if err != nil {
		return nil, &shipment.FieldError{Field: "marketplace", Message: err.Error()}
	}
	return s.outlook(ctx, sellerID, m, list, now)
}

// outlook projects the listed standards of the marketplace (all of them,
// or what one metric's save queue needs: queueStandards).
func (s *Service) outlook(ctx context.Context, sellerID string, m Marketplace, list []Standard, now time.Time) (*Outlook, error) {
	if now.IsZero() {
		now = time.Now()
	}
	set, err := s.store.SellerSettings(ctx, sellerID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("health forecast: seller time zone: %w", err)
	}
	// The counts are one statement over the seller's windows; everything
	// else below reads the open shipments. Neither needs the other until
	// the projection, so the counts run on a connection of their own
	// meanwhile (each read has its own snapshot either way). The direct
	// computation, the benchmark's baseline, reads one after the other
	// as the forecast did before.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the counts when the open side fails
	type countsDone struct {
		current []StandardValue
		counts  []store.StandardResult
		err     error
	}
	done := make(chan countsDone, 1)
	countNow := func() {
		current, counts, err := s.countsAt(ctx, sellerID, list, now, loc)
		done <- countsDone{current, counts, err}
	}
	if s.direct {
		countNow()
	} else {
		go countNow()
	}
	in := &outcomeInputs{now: now, loc: loc}
	open, err := s.openInputs(ctx, sellerID, list, now, in)
	if err != nil {
		return nil, err
	}
	c := <-done
	if c.err != nil {
		return nil, c.err
	}
	current, counts := c.current, c.counts
	in.base = baseRates(current)
	out := &Outlook{SellerID: sellerID, Marketplace: m, Now: now, Location: loc}
	i := 0
	for _, st := range list {
		// A shipment's outcome in a metric is the same in each of its
		// windows: decided once, then placed by its key.
		decided := decide(st, open, in)
		for _, w := range st.Windows {
			c := counts[i]
			p := Projection{Standard: st, WindowDays: w, From: c.From, EvaluatedAt: c.To,
				Denominator: c.Denominator, Known: c.Numerator, Current: current[i]}
			p.Target.WindowDays = w
			project(&p, decided, in)
			p.Crossing = p.Current.Status != Failing && p.Status == Failing
			out.Projections = append(out.Projections, p)
			i++
		}
	}
	return out, nil
}

// openInputs reads the open shipments and what deciding their outcomes
// needs besides the counts (the seller's first-scan delays, the delivery
// forecasts of those due, the open claims) into in, and returns them.
func (s *Service) openInputs(ctx context.Context, sellerID string, list []Standard, now time.Time, in *outcomeInputs) ([]store.Shipment, error) {
	delays, err := s.store.ScanDelays(ctx, sellerID, now.AddDate(0, 0, -scanDelayFrom), now.AddDate(0, 0, -scanDelaySettled), scanDelaySample)
	if err != nil {
		return nil, err
	}
	in.scans = newScanDelays(delays)
	// Read beside the counts, outside their snapshot: a shipment settled
	// in between (a scan arriving) can be neither in the counts' numerator
	// nor open here, so the projection misses it until the next request.
	var open []store.Shipment
	var ko *keptOpen
	if s.direct {
		open, err = s.store.OpenShipmentsDirect(ctx, sellerID, now.AddDate(0, 0, -openSinceDays), now)
	} else {
		open, ko, err = s.openShipments(ctx, sellerID, now.AddDate(0, 0, -openSinceDays), now)
	}
	if err != nil {
		return nil, err
	}
	if in.forecasts, err = s.dueForecasts(ctx, sellerID, list, open, now, ko); err != nil {
		return nil, err
	}
	if in.claims, err = s.openClaims(ctx, sellerID, list, now); err != nil {
		return nil, err
	}
	return open, nil
}

// dueForecasts forecasts the open shipments whose deliverBy is ahead, the
// only ones an outcome reads a forecast of (the on-time delivery rate's);
// none, and no read, when no listed standard is that rate.
func (s *Service) dueForecasts(ctx context.Context, sellerID string, list []Standard, open []store.Shipment, now time.Time, ko *keptOpen) (map[string]forecast.Forecast, error) {
	needed := s.direct
	for _, st := range list {
		needed = needed || st.Metric == OnTimeDeliveryRate
	}
	if !needed {
		return nil, nil
	}
	n := 0
	for i := range open {
		if open[i].DeliverBy != nil && open[i].DeliverBy.After(now) {
			n++
		}
	}
	due := open
	if n < len(open) {
		due = make([]store.Shipment, 0, n)
		for _, sh := range open {
			if sh.DeliverBy != nil && sh.DeliverBy.After(now) {
				due = append(due, sh)
			}
		}
	}
	if ko != nil {
		return s.deliveryForecasts(ctx, sellerID, due, now, ko)
	}
	return monitor.DeliveryForecasts(ctx, s.store, sellerID, due, now)
}

// openClaims reads the open claims of the disputes the listed standards
// queue evidence for; none (and no query) when no standard does.
func (s *Service) openClaims(ctx context.Context, sellerID string, list []Standard, now time.Time) ([]store.Claim, error) {
	var kinds []string
	for _, st := range list {
		kinds = append(kinds, claimKinds[st.Metric]...)
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	return s.store.OpenClaims(ctx, sellerID, kinds, now.AddDate(0, 0, -openSinceDays), now)
}

// baseRates is each metric's rate over its longest window, 0.5 when
// nothing counts in it yet.
func baseRates(current []StandardValue) map[Metric]float64 {
	base := map[Metric]float64{}
	longest := map[Metric]int{}
	for _, v := range current {
		if v.WindowDays <= longest[v.Metric] {
			continue
		}
		longest[v.Metric] = v.WindowDays
		base[v.Metric] = 0.5
		if r := v.Value.Rate(); r != nil {
			base[v.Metric] = *r
		}
	}
	return base
}

// countsAt counts every standard and window today, and as the store will
// count it at the end of its evaluation day with today's outcomes: one
// pass over the seller's shipments for both.
func (s *Service) countsAt(ctx context.Context, sellerID string, list []Standard, now time.Time, loc *time.Location) ([]StandardValue, []store.StandardResult, error) {
	var today, ahead []store.StandardQuery
	l := now.In(loc)
	for _, st := range list {
		for _, w := range st.Windows {
			q := store.StandardQuery{Count: st.Metric.count(), Keying: string(st.KeyedBy), Days: w}
			today = append(today, q)
			q.At = endOfDay(time.Date(l.Year(), l.Month(), l.Day()+Horizon(w), 12, 0, 0, 0, loc), loc)
			ahead = append(ahead, q)
		}
	}
	counts := s.standardCounts
	if s.direct {
		counts = s.store.StandardCountsDirect
	}
	res, err := counts(ctx, sellerID, append(today, ahead...), now)
	if err != nil {
		return nil, nil, fmt.Errorf("health forecast: %w", err)
	}
	return standardValues(list, res[:len(today)]), res[len(today):], nil
}

// decide returns the outcomes of the open shipments whose outcome in st's
// metric can still change, each keyed by st's keying date.
func decide(st Standard, open []store.Shipment, in *outcomeInputs) []outcome {
	out := make([]outcome, 0, len(open)/4)
	for i := range open {
		if o, ok := openOutcome(st.Metric, st.KeyedBy, &open[i], in); ok {
			out = append(out, o)
		}
	}
	return out
}

// project adds the decided open outcomes keyed in p's window to its known
// counts.
func project(p *Projection, decided []outcome, in *outcomeInputs) {
	mean, variance := float64(p.Known), 0.0
	lo, hi := float64(p.Known), float64(p.Known)
	n := 0
	for i := range decided {
		if k := decided[i].key; !k.Before(p.From) && k.Before(p.EvaluatedAt) {
			n++
		}
	}
	p.outcomes = make([]outcome, 0, n)
	for i := range decided {
		o := &decided[i]
		if o.key.Before(p.From) || !o.key.Before(p.EvaluatedAt) {
			continue
		}
		p.outcomes = append(p.outcomes, *o)
		in0 := 0.0
		if o.nowIn {
			in0 = 1
		}
		mean += o.p - in0
		variance += o.p * (1 - o.p)
		lo -= in0
		hi += 1 - in0
	}
	p.Open = len(p.outcomes)
	// Claims are queued, not projected: each is counted as it stands.
	for i := range in.claims {
		o, ok := claimOutcome(p.Metric, p.KeyedBy, &in.claims[i])
		if ok && !o.key.Before(p.From) && o.key.Before(p.EvaluatedAt) {
			p.outcomes = append(p.outcomes, o)
		}
	}
	sd := math.Sqrt(variance)
	p.Expected = mean
	p.Low = math.Max(lo, mean-z90*sd)
	p.High = math.Min(hi, mean+z90*sd)
	p.Status = p.Target.Evaluate(int(math.Round(mean)), p.Denominator)
}

// Horizon is how many days after today the projection's window ends.
func (p *Projection) Horizon() int { return Horizon(p.WindowDays) }
