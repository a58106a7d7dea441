package health

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
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
		for _, w := range st.Windows {
			c := counts[i]
			p := Projection{Standard: st, WindowDays: w, From: c.From, EvaluatedAt: c.To,
				Denominator: c.Denominator, Known: c.Numerator, Current: current[i]}
			p.Target.WindowDays = w
			project(&p, open, in)
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
	read := s.store.OpenShipments
	if s.direct {
		read = s.store.OpenShipmentsDirect
	}
	open, err := read(ctx, sellerID, now.AddDate(0, 0, -openSinceDays), now)
	if err != nil {
		return nil, err
	}
	var due []store.Shipment
	for _, sh := range open {
		if sh.DeliverBy != nil && sh.DeliverBy.After(now) {
			due = append(due, sh)
		}
	}
	if in.forecasts, err = monitor.DeliveryForecasts(ctx, s.store, sellerID, due, now); err != nil {
		return nil, err
	}
	if in.claims, err = s.openClaims(ctx, sellerID, list, now); err != nil {
		return nil, err
	}
	return open, nil
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
	counts := s.store.StandardCounts
	if s.direct {
		counts = s.store.StandardCountsDirect
	}
	res, err := counts(ctx, sellerID, append(today, ahead...), now)
	if err != nil {
		return nil, nil, fmt.Errorf("health forecast: %w", err)
	}
	return standardValues(list, res[:len(today)]), res[len(today):], nil
}

// project adds the open outcomes keyed in p's window to its known counts.
func project(p *Projection, open []store.Shipment, in *outcomeInputs) {
	mean, variance := float64(p.Known), 0.0
	lo, hi := float64(p.Known), float64(p.Known)
	for i := range open {
		o, ok := openOutcome(p.Metric, p.KeyedBy, &open[i], in)
		if !ok || o.key.Before(p.From) || !o.key.Before(p.EvaluatedAt) {
			continue
		}
		p.outcomes = append(p.outcomes, o)
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

// SaveItem is an open shipment whose outcome in a metric can still
// change, with what to do and by when.
type SaveItem struct {
	Shipment store.Shipment
	Metric   Metric
	Action   Action
	// Deadline is when acting stops helping; nil when only the evaluation
	// day bounds it.
	Deadline *time.Time
	// Probability is the chance the shipment counts for the seller
	// (succeeds, or is not late) if nothing is done.
	Probability float64
	// Effect is how much acting would move the projected rate: the chance
	// of failing over the denominator of the smallest window holding it.
	Effect float64
	// SuggestedNumber is, for ReplaceTrackingNumber, the likeliest valid
	// number one typo away, "" when there is none.
	SuggestedNumber string
	// Dispute is, for AssembleEvidence, the open claim to answer.
	Dispute *store.Dispute
}

// Queue returns the outlook's save queue for one metric: every open
// shipment of any of its windows, the greatest effect first, then the
// earliest deadline, then the shipment id.
func (o *Outlook) Queue(metric Metric) ([]SaveItem, error) {
	items := map[string]*SaveItem{}
	found := false
	for i := range o.Projections {
		p := &o.Projections[i]
		if p.Metric != metric {
			continue
		}
		found = true
		for _, oc := range p.outcomes {
			fail := oc.p
			if metric.HigherIsBetter() {
				fail = 1 - oc.p
			}
			effect := fail / float64(p.Denominator)
			it := items[oc.shipment.ID]
			if it == nil {
				it = &SaveItem{Shipment: *oc.shipment, Metric: metric, Action: oc.action, Deadline: oc.deadline, Probability: 1 - fail,
					Dispute: oc.dispute}
				items[oc.shipment.ID] = it
			}
			it.Effect = math.Max(it.Effect, effect)
		}
	}
	if !found {
		return nil, &shipment.FieldError{Field: "metric", Message: fmt.Sprintf("%s is not a published standard of %s", metric, o.Marketplace)}
	}
	out := make([]SaveItem, 0, len(items))
	for _, it := range items {
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Effect != b.Effect {
			return a.Effect > b.Effect
		}
		if (a.Deadline == nil) != (b.Deadline == nil) {
			return a.Deadline != nil
		}
		if a.Deadline != nil && !a.Deadline.Equal(*b.Deadline) {
			return a.Deadline.Before(*b.Deadline)
		}
		return a.Shipment.ID < b.Shipment.ID
	})
	return out, nil
}

// recentNumbers is how many of the seller's latest valid numbers rank a
// replacement number (as for TrackingCheck.suggestions).
const recentNumbers = 500

// Suggest completes items for display: it reads their shipments in full
// (the outlook holds only what the projection reads, see
// store.OpenShipments) and fills SuggestedNumber on the items that
// replace a number, from the tracking check's suggestions ranked by the
// seller's own numbers. Call it on the page shown, not the whole queue.
func (s *Service) Suggest(ctx context.Context, sellerID string, items []SaveItem) error {
	if err := s.complete(ctx, sellerID, items); err != nil {
		return err
	}
	var numbers *tracking.Numbers
	for i := range items {
		it := &items[i]
		if it.Action != ReplaceTrackingNumber {
			continue
		}
		if numbers == nil {
			recent, err := s.store.RecentTrackingNumbers(ctx, sellerID, recentNumbers)
			if err != nil {
				return err
			}
			numbers = tracking.NewNumbers(recent)
		}
		if sug := tracking.Check(it.Shipment.TrackingNumber, it.Shipment.Carrier).SuggestionsFrom(numbers); len(sug) > 0 {
			it.SuggestedNumber = sug[0]
		}
	}
	return nil
}

// complete replaces each item's shipment with the whole row, read by key
// in one query. A shipment deleted since the outlook keeps what it had.
func (s *Service) complete(ctx context.Context, sellerID string, items []SaveItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Shipment.ID
	}
	shs, err := s.store.ShipmentsByID(ctx, sellerID, ids)
	if err != nil {
		return fmt.Errorf("save queue: %w", err)
	}
	byID := make(map[string]store.Shipment, len(shs))
	for _, sh := range shs {
		byID[sh.ID] = sh
	}
	for i := range items {
		if sh, ok := byID[items[i].Shipment.ID]; ok {
			items[i].Shipment = sh
		}
	}
	return nil
}

// Horizon is how many days after today the projection's window ends.
func (p *Projection) Horizon() int { return Horizon(p.WindowDays) }

// QueuePage is a page of a save queue.
type QueuePage struct {
	Items []SaveItem
	// Offset is the first item's place in the queue; Total the queue's size.
	Offset, Total int
}

// SaveQueue projects the marketplace's standards at now (zero: the current
// time) and returns limit items of the metric's save queue from offset,
// with suggestions for the numbers to replace.
func (s *Service) SaveQueue(ctx context.Context, sellerID string, m Marketplace, metric Metric, offset, limit int, now time.Time) (QueuePage, error) {
	out, err := s.Forecast(ctx, sellerID, m, now)
	if err != nil {
		return QueuePage{}, err
	}
	q, err := out.Queue(metric)
	if err != nil {
		return QueuePage{}, err
	}
	offset = min(max(offset, 0), len(q))
	page := q[offset:min(offset+limit, len(q))]
	if err := s.Suggest(ctx, sellerID, page); err != nil {
		return QueuePage{}, err
	}
	return QueuePage{Items: page, Offset: offset, Total: len(q)}, nil
}
