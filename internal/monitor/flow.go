package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DetectThinnedSources marks degraded each working webhook source whose
// flow of deliveries has thinned to a fraction of its usual rate at these
// hours (source.Flow.Judge), and recovers each it holds whose flow came
// back. The sweep runs it after DetectSilentSources and before the rules,
// so the held rules give way to SOURCE_DEGRADED in the same sweep. It
// returns the sources it marked and those it recovered.
func (s *Service) DetectThinnedSources(ctx context.Context, now time.Time) (marked, recovered []source.Flow, err error) {
	flows, err := s.store.FlowSources(ctx, now.Add(-source.SilenceJudgedFor))
	if err != nil {
		return nil, nil, fmt.Errorf("detect thinned sources: %w", err)
	}
	// Most sources deliver as usual: the last hours against the same hours
	// a week before (one window each) clear them; only the others, and the
	// sources held, have their whole week read.
	if err := s.flowCounts(ctx, flows, now, false); err != nil {
		return nil, nil, fmt.Errorf("detect thinned sources: %w", err)
	}
	var judged []source.Flow
	for _, f := range flows {
		if f.NeedsWeek() {
			judged = append(judged, f)
		}
	}
	if err := s.flowCounts(ctx, judged, now, true); err != nil {
		return nil, nil, fmt.Errorf("detect thinned sources: %w", err)
	}
	var suspects []source.Flow
	var sellers []string
	for _, f := range judged {
		v := f.Judge(-1)
		switch {
		case v.Recovered:
			ok, err := s.store.RecoverThinnedSource(ctx, f.SellerID, f.SourceID, now)
			if err != nil {
				return marked, recovered, fmt.Errorf("detect thinned sources: %w", err)
			}
			if ok {
				recovered = append(recovered, f)
			}
		case v.Suspect:
			suspects, sellers = append(suspects, f), append(sellers, f.SellerID)
		}
	}
	if len(suspects) == 0 {
		return nil, recovered, nil
	}
	open, err := s.store.ShipmentsAwaitingWebhookScans(ctx, sellers, now, source.SilenceOpenShipments)
	if err != nil {
		return nil, recovered, fmt.Errorf("detect thinned sources: %w", err)
	}
	recent, _ := source.FlowHours(now)
	for i, f := range suspects {
		v := f.Judge(open[i])
		if !v.Abnormal {
			continue
		}
		ok, err := s.store.MarkSourceThinned(ctx, f.SellerID, f.SourceID, recent[0].From, now, v.Reason)
		if err != nil {
			return marked, recovered, fmt.Errorf("detect thinned sources: %w", err)
		}
		if ok {
			marked = append(marked, f)
		}
	}
	return marked, recovered, nil
}

// flowCounts fills the flows' counts, a batch of sources per statement:
// each recent hour and the same hours a week before, or (whole) every
// baseline day.
func (s *Service) flowCounts(ctx context.Context, flows []source.Flow, now time.Time, whole bool) error {
	recent, days := source.FlowHours(now)
	windows := append(slices.Clone(recent), days[source.SilenceBaselineDays-1])
	if whole {
		windows = append(slices.Clone(recent), days...)
	}
	n := len(recent)
	for lo := 0; lo < len(flows); lo += silenceBatch {
		batch := flows[lo:min(lo+silenceBatch, len(flows))]
		ws := make([]store.SourceWindow, 0, len(batch)*len(windows))
		for _, f := range batch {
			for _, w := range windows {
				ws = append(ws, store.SourceWindow{SellerID: f.SellerID, SourceID: f.SourceID, Window: w})
			}
		}
		got, err := s.store.SourceDeliveries(ctx, ws)
		if err != nil {
			return err
		}
		for i := range batch {
			c := got[i*len(windows) : (i+1)*len(windows)]
			batch[i].Recent = c[:n]
			if whole {
				batch[i].Baseline = c[n:]
				continue
			}
			// Only the week before is read here; a flow is judged only
			// once its whole week has been read.
			batch[i].Baseline = make([]int, source.SilenceBaselineDays)
			batch[i].Baseline[source.SilenceBaselineDays-1] = c[n]
		}
	}
	return nil
}
