package health

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

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

// candidate is a shipment of a save queue before it is shown: its
// outcome (the first of its windows') and its effect (the greatest).
type candidate struct {
	o            *outcome
	fail, effect float64
}

// ranksBefore is the save queue's order: the greatest effect first, then
// the earliest deadline (none last), then the shipment id. It is total: a
// shipment is in a queue once.
func ranksBefore(a, b *candidate) bool {
	if a.effect != b.effect {
		return a.effect > b.effect
	}
	da, db := a.o.deadline, b.o.deadline
	if (da == nil) != (db == nil) {
		return da != nil
	}
	if da != nil && !da.Equal(*db) {
		return da.Before(*db)
	}
	return a.o.shipment.ID < b.o.shipment.ID
}

// candidates lists the metric's save queue unordered: every open shipment
// of any of its windows, once.
func (o *Outlook) candidates(metric Metric) ([]candidate, error) {
	var out []candidate
	var at map[string]int
	found := false
	for i := range o.Projections {
		p := &o.Projections[i]
		if p.Metric != metric {
			continue
		}
		if !found {
			found = true
			out = make([]candidate, 0, len(p.outcomes))
			at = make(map[string]int, len(p.outcomes))
		}
		for j := range p.outcomes {
			oc := &p.outcomes[j]
			fail := oc.p
			if metric.HigherIsBetter() {
				fail = 1 - oc.p
			}
			effect := fail / float64(p.Denominator)
			k, ok := at[oc.shipment.ID]
			if !ok {
				k = len(out)
				at[oc.shipment.ID] = k
				out = append(out, candidate{o: oc, fail: fail})
			}
			out[k].effect = math.Max(out[k].effect, effect)
		}
	}
	if !found {
		return nil, notPublished(metric, o.Marketplace)
	}
	return out, nil
}

func notPublished(metric Metric, m Marketplace) error {
	return &shipment.FieldError{Field: "metric", Message: fmt.Sprintf("%s is not a published standard of %s", metric, m)}
}

// Queue returns the outlook's whole save queue for one metric, ranked:
// every open shipment of any of its windows, the greatest effect first,
// then the earliest deadline, then the shipment id.
func (o *Outlook) Queue(metric Metric) ([]SaveItem, error) {
	page, err := o.Page(metric, 0, math.MaxInt)
	return page.Items, err
}

// Page returns limit items of the metric's save queue from offset, as
// Queue ranks them. Only the first offset+limit are ordered (kept in a
// heap while the others pass), so a first page of a long queue is not a
// sort of all of it.
func (o *Outlook) Page(metric Metric, offset, limit int) (QueuePage, error) {
	cs, err := o.candidates(metric)
	if err != nil {
		return QueuePage{}, err
	}
	offset = min(max(offset, 0), len(cs))
	k := offset + min(max(limit, 0), len(cs)-offset)
	top := topRanked(cs, k)
	items := make([]SaveItem, 0, k-offset)
	for i := offset; i < k; i++ {
		c := &top[i]
		items = append(items, SaveItem{Shipment: *c.o.shipment, Metric: metric, Action: c.o.action, Deadline: c.o.deadline,
			Probability: 1 - c.fail, Effect: c.effect, Dispute: c.o.dispute})
	}
	return QueuePage{Items: items, Offset: offset, Total: len(cs)}, nil
}

// topRanked returns the first k of cs in ranking order (cs is reordered).
// Below a quarter of cs it keeps the k best seen in a heap whose root is
// the worst of them; otherwise it sorts cs.
func topRanked(cs []candidate, k int) []candidate {
	if k >= len(cs)/4 {
		sort.Slice(cs, func(i, j int) bool { return ranksBefore(&cs[i], &cs[j]) })
		return cs[:k]
	}
	if k == 0 {
		return nil
	}
	h := cs[:k]
	for i := k/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for i := k; i < len(cs); i++ {
		if ranksBefore(&cs[i], &h[0]) {
			h[0], cs[i] = cs[i], h[0]
			siftDown(h, 0)
		}
	}
	sort.Slice(h, func(i, j int) bool { return ranksBefore(&h[i], &h[j]) })
	return h
}

// siftDown restores h's order below i: each candidate ranks after (is
// worse than) its children.
func siftDown(h []candidate, i int) {
	for {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && ranksBefore(&h[worst], &h[l]) {
			worst = l
		}
		if r < len(h) && ranksBefore(&h[worst], &h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
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

// QueuePage is a page of a save queue.
type QueuePage struct {
	Items []SaveItem
	// Offset is the first item's place in the queue; Total the queue's size.
	Offset, Total int
}

// SaveQueue projects the marketplace's standards the metric's queue needs
// (queueStandards) at now (zero: the current time) and returns limit items
// of the metric's save queue from offset, with suggestions for the
// numbers to replace.
func (s *Service) SaveQueue(ctx context.Context, sellerID string, m Marketplace, metric Metric, offset, limit int, now time.Time) (QueuePage, error) {
	list, err := StandardsFor(m)
	if err != nil {
		return QueuePage{}, &shipment.FieldError{Field: "marketplace", Message: err.Error()}
	}
	if !s.direct {
		// The direct computation, the benchmarks' baseline, projects every
		// standard as the queue did before.
		if list = queueStandards(list, metric); len(list) == 0 {
			return QueuePage{}, notPublished(metric, m)
		}
	}
	out, err := s.outlook(ctx, sellerID, m, list, now)
	if err != nil {
		return QueuePage{}, err
	}
	page, err := out.Page(metric, offset, limit)
	if err != nil {
		return QueuePage{}, err
	}
	if err := s.Suggest(ctx, sellerID, page.Items); err != nil {
		return QueuePage{}, err
	}
	return page, nil
}

// queueStandards is what the metric's save queue reads of the
// marketplace's standards: the metric's own, none when it publishes no
// such metric, and with the on-time delivery rate the valid tracking rate,
// whose rate today is the chance of a first scan where the seller's
// delays cannot tell it (outcomeInputs.scanRate). Every other input of an
// outcome is the metric's own rate (outcomeInputs.base).
func queueStandards(list []Standard, metric Metric) []Standard {
	var own, out []Standard
	for _, st := range list {
		if st.Metric == metric {
			own = append(own, st)
		}
	}
	if len(own) == 0 {
		return nil
	}
	for _, st := range list {
		if st.Metric == metric || metric == OnTimeDeliveryRate && st.Metric == ValidTrackingRate {
			out = append(out, st)
		}
	}
	return out
}
