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
	open, err := s.store.ShipmentsAwaitingCarrierScans(ctx, sellers, carriers, now, source.CarrierOpenShipments)
	if err != nil {
		return nil, recovered, fmt.Errorf("detect degraded carriers: %w", err)
	}
	recent, _ := source.FlowHours(now)
	for i, f := range suspects {
		v := f.Judge(open[i])
		if !v.Abnormal {
			continue
		}
		ok, err := s.store.MarkCarrierDegraded(ctx, f.SellerID, f.SourceID, f.Carrier, recent[0].From, now, v.Reason)
		if err != nil {
			return marked, recovered, fmt.Errorf("detect degraded carriers: %w", err)
		}
		if ok {
			marked = append(marked, f)
		}
	}
	return marked, recovered, nil
}

// carrierFlows reads, a batch of sources per statement, each carrier's
// deliveries through each source in the recent hours and the same hours a
// week before, and returns a flow per carrier that delivered in them or
// is held. The rest of the baseline is left at zero until carrierWeeks.
func (s *Service) carrierFlows(ctx context.Context, srcs []store.CarrierSource, now time.Time) ([]source.CarrierFlow, error) {
	recent, days := source.FlowHours(now)
	n := len(recent)
	hours := make([]time.Time, 0, 2*n)
	for _, w := range recent {
		hours = append(hours, w.From)
	}
	for h := days[source.SilenceBaselineDays-1].From; h.Before(days[source.SilenceBaselineDays-1].To); h = h.Add(time.Hour) {
		hours = append(hours, h)
	}
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
			// The source is sending when each recent hour brought a
			// delivery of some carrier.
			sending := true
			for h := range n {
				total := 0
				for _, counts := range byCarrier[i] {
					total += counts[h]
				}
				sending = sending && total > 0
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
					Held: slices.Contains(src.Held, c), Sending: sending, Recent: counts[:n],
					Baseline: make([]int, source.SilenceBaselineDays)}
				for _, k := range counts[n:] {
					f.Baseline[source.SilenceBaselineDays-1] += k
				}
				flows = append(flows, f)
			}
		}
	}
	return flows, nil
}

// carrierWeeks fills the flows' baselines: each carrier's deliveries in
// the recent hours' clock hours of each of the days before, a batch of
// sources per statement.
func (s *Service) carrierWeeks(ctx context.Context, flows []source.CarrierFlow, now time.Time) error {
	_, days := source.FlowHours(now)
	var hours []time.Time
	var day []int
	for d, w := range days {
		for h := w.From; h.Before(w.To); h = h.Add(time.Hour) {
			hours, day = append(hours, h), append(day, d)
		}
	}
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
	for i := range flows {
		f := &flows[i]
		f.Baseline = make([]int, source.SilenceBaselineDays)
		for j, k := range counts[at[key{f.SellerID, f.SourceID}]][f.Carrier] {
			f.Baseline[day[j]] += k
		}
	}
	return nil
}
