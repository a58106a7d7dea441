package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DetectDegradedCarriers holds each carrier whose flow through a working
// webhook source has stopped or thinned while the source's other carriers
// keep coming (source.CarrierFlow.Judge), and recovers each it holds whose
// flow came back. The sweep runs it after the silence and flow checks and
// before the rules, so the rules it holds give way to SOURCE_DEGRADED in
// the same sweep. It returns the carriers it marked and those it
// recovered.
func (s *Service) DetectDegradedCarriers(ctx context.Context, now time.Time) (marked, recovered []source.CarrierFlow, err error) {
	srcs, err := s.store.CarrierSources(ctx, now.Add(-source.SilenceJudgedFor))
	if err != nil {
		return nil, nil, fmt.Errorf("detect degraded carriers: %w", err)
	}
	// Most carriers deliver as usual: their last hours against the same
	// hours a week before clear them; only the others, and those held,
	// have their whole week read.
	flows, err := s.carrierFlows(ctx, srcs, now)
	if err != nil {
		return nil, nil, fmt.Errorf("detect degraded carriers: %w", err)
	}
	var judged []source.CarrierFlow
	for _, f := range flows {
		if f.NeedsWeek() {
			judged = append(judged, f)
		}
	}
	if err := s.carrierWeeks(ctx, judged, now); err != nil {
		return nil, nil, fmt.Errorf("detect degraded carriers: %w", err)
	}
	var suspects []source.CarrierFlow
	var sellers, carriers []string
	for _, f := range judged {
		v := f.Judge(-1)
		switch {
		case v.Recovered:
			ok, err := s.store.RecoverCarrier(ctx, f.SellerID, f.SourceID, f.Carrier)
			if err != nil {
				return marked, recovered, fmt.Errorf("detect degraded carriers: %w", err)
			}
			if ok {
				recovered = append(recovered, f)
			}
		case v.Suspect:
			suspects = append(suspects, f)
			sellers, carriers = append(sellers, f.SellerID), append(carriers, f.Carrier)
		}
	}
	if len(suspects) == 0 {
		return nil, recovered, nil
	}
	counts, err := s.store.ShipmentsAwaitingCarrierScans(ctx, sellers, carriers, now, source.CarrierOpenShipments)
	if err != nil {
		return nil, recovered, fmt.Errorf("detect degraded carriers: %w", err)
	}
	recent, _ := source.CarrierHours(now)
	for i, f := range suspects {
		v := f.Judge(counts[i])
		if !v.Abnormal {
			continue
		}
		// Failing since the start of the window judged.
		since := recent.To.Add(-time.Duration(v.Hours) * time.Hour)
		ok, err := s.store.MarkCarrierDegraded(ctx, f.SellerID, f.SourceID, f.Carrier, since, now, v.Reason)
		if err != nil {
			return marked, recovered, fmt.Errorf("detect degraded carriers: %w", err)
		}
		if ok {
			marked = append(marked, f)
		}
	}
	return marked, recovered, nil
}

// hoursOf lists the hours of w, oldest first.
func hoursOf(w source.Window) []time.Time {
	var hours []time.Time
	for h := w.From; h.Before(w.To); h = h.Add(time.Hour) {
		hours = append(hours, h)
	}
	return hours
}

// carrierFlows reads, a batch of sources per statement, each carrier's
// deliveries through each source in the last source.CarrierSpan hours and
// the same hours a week before (two ranges of each source's hours), and
// returns a flow per carrier that delivered in them or is held. The other
// baseline days are left unread until carrierWeeks.
func (s *Service) carrierFlows(ctx context.Context, srcs []store.CarrierSource, now time.Time) ([]source.CarrierFlow, error) {
	recent, days := source.CarrierHours(now)
	hours := append(hoursOf(recent), hoursOf(days[source.SilenceBaselineDays-1])...)
	n := source.CarrierSpan
	var flows []source.CarrierFlow
	for lo := 0; lo < len(srcs); lo += silenceBatch {
		batch := srcs[lo:min(lo+silenceBatch, len(srcs))]
		sellers, ids := make([]string, len(batch)), make([]string, len(batch))
		for i, src := range batch {
			sellers[i], ids[i] = src.SellerID, src.SourceID
		}
		got, err := s.store.CarrierDeliveries(ctx, sellers, ids, hours)
		if err != nil {
			return nil, err
		}
		byCarrier := make([]map[string][]int, len(batch))
		for _, c := range got {
			if byCarrier[c.Source] == nil {
				byCarrier[c.Source] = map[string][]int{}
			}
			byCarrier[c.Source][c.Carrier] = c.Counts
		}
		for i, src := range batch {
			// The source's deliveries of every carrier, hour by hour.
			total := make([]int, n)
			for _, counts := range byCarrier[i] {
				for h := range n {
					total[h] += counts[h]
				}
			}
			names := make([]string, 0, len(byCarrier[i])+len(src.Held))
			for c := range byCarrier[i] {
				names = append(names, c)
			}
			names = append(names, src.Held...)
			slices.Sort(names)
			for _, c := range slices.Compact(names) {
				counts := byCarrier[i][c]
				if counts == nil {
					counts = make([]int, len(hours))
				}
				f := source.CarrierFlow{SellerID: src.SellerID, SourceID: src.SourceID, Provider: src.Provider, Carrier: c,
					Held: slices.Contains(src.Held, c), Recent: counts[:n], Source: total,
					Baseline: make([][]int, source.SilenceBaselineDays)}
				f.Baseline[source.SilenceBaselineDays-1] = counts[n:]
				flows = append(flows, f)
			}
		}
	}
	return flows, nil
}

// carrierWeeks fills the flows' other baseline days: each carrier's
// deliveries in the recent hours' clock hours of each of the days before,
// a batch of sources per statement. The last hours of each day (the
// shortest window) come first; only the sources of flows that need more
// (source.CarrierFlow.NeedsWholeDays: a carrier too small for the
// shortest window) have their whole days read.
func (s *Service) carrierWeeks(ctx context.Context, flows []source.CarrierFlow, now time.Time) error {
	_, days := source.CarrierHours(now)
	last, span, short := source.SilenceBaselineDays-1, source.CarrierSpan, source.CarrierWindows[0]
	// The days before the week before, oldest first: baseline day d is
	// at hours[(last-1-d)*span:] when whole, at [(last-1-d)*short:] when
	// only its last hours are read.
	whole := hoursOf(source.Window{From: days[last-1].From, To: days[0].To})
	var ends []time.Time
	for d := last - 1; d >= 0; d-- {
		ends = append(ends, whole[(last-d)*span-short:(last-d)*span]...)
	}
	if err := s.carrierDays(ctx, flows, ends, short); err != nil {
		return err
	}
	var more []source.CarrierFlow
	at := map[string]bool{}
	for _, f := range flows {
		if f.NeedsWholeDays() {
			at[f.SourceID] = true
		}
	}
	var idx []int
	for i, f := range flows {
		if at[f.SourceID] {
			more, idx = append(more, f), append(idx, i)
		}
	}
	if err := s.carrierDays(ctx, more, whole, span); err != nil {
		return err
	}
	for j, i := range idx {
		flows[i] = more[j]
	}
	return nil
}

// carrierDays reads hours, per hours each of the baseline days but the
// last, oldest first, for the flows' sources, and sets each flow's
// baseline days to them (the last per hours of each day, zero before).
func (s *Service) carrierDays(ctx context.Context, flows []source.CarrierFlow, hours []time.Time, per int) error {
	// The flows come by source: one read per source, shared by its carriers.
	type key struct{ seller, src string }
	var keys []key
	at := map[key]int{}
	for _, f := range flows {
		k := key{f.SellerID, f.SourceID}
		if _, ok := at[k]; !ok {
			at[k] = len(keys)
			keys = append(keys, k)
		}
	}
	counts := make([]map[string][]int, len(keys))
	for lo := 0; lo < len(keys); lo += silenceBatch {
		batch := keys[lo:min(lo+silenceBatch, len(keys))]
		sellers, ids := make([]string, len(batch)), make([]string, len(batch))
		for i, k := range batch {
			sellers[i], ids[i] = k.seller, k.src
		}
		got, err := s.store.CarrierDeliveries(ctx, sellers, ids, hours)
		if err != nil {
			return err
		}
		for _, c := range got {
			if counts[lo+c.Source] == nil {
				counts[lo+c.Source] = map[string][]int{}
			}
			counts[lo+c.Source][c.Carrier] = c.Counts
		}
	}
	last, span := source.SilenceBaselineDays-1, source.CarrierSpan
	for i := range flows {
		f := &flows[i]
		c := counts[at[key{f.SellerID, f.SourceID}]][f.Carrier]
		if c == nil {
			c = make([]int, len(hours))
		}
		for d := range last {
			day := make([]int, span)
			copy(day[span-per:], c[(last-1-d)*per:(last-d)*per])
			f.Baseline[d] = day
		}
	}
	return nil
}
