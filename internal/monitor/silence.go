package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

// DetectSilentSources marks degraded each webhook source whose silence at
// now is abnormal (source.Quiet.Judge), naming the silence and the rate it
// broke, and drops hourly delivery counts past their retention. The sweep
// runs it before the rules, so the held rules give way to SOURCE_DEGRADED
// in the same sweep; the source's next usable delivery recovers it.
// It returns the sources it marked.
func (s *Service) DetectSilentSources(ctx context.Context, now time.Time) ([]source.Quiet, error) {
	if err := s.store.ExpireDeliveryHours(ctx, now.Add(-source.DeliveryHoursKept)); err != nil {
		return nil, fmt.Errorf("detect silent sources: %w", err)
	}
	quiet, err := s.store.QuietSources(ctx, now.Add(-source.SilenceJudgedFor), now.Add(-source.SilenceMin))
	if err != nil {
		return nil, fmt.Errorf("detect silent sources: %w", err)
	}
	var marked []source.Quiet
	for _, q := range quiet {
		_, baseline := source.SilentHours(q.LastDeliveryAt, now)
		if q.Baseline, err = s.store.SourceDeliveries(ctx, q.SellerID, q.SourceID, baseline); err != nil {
			return marked, fmt.Errorf("detect silent sources: %w", err)
		}
		if !q.Judge(now, -1).Suspect {
			continue
		}
		// Counting open shipments costs more than the baseline: only for
		// a source whose deliveries already say "abnormal".
		open, err := s.store.ShipmentsAwaitingWebhookScans(ctx, q.SellerID, now, source.SilenceOpenShipments)
		if err != nil {
			return marked, fmt.Errorf("detect silent sources: %w", err)
		}
		v := q.Judge(now, open)
		if !v.Abnormal {
			continue
		}
		ok, err := s.store.MarkSourceSilent(ctx, q.SellerID, q.SourceID, q.LastDeliveryAt, now, v.Reason)
		if err != nil {
			return marked, fmt.Errorf("detect silent sources: %w", err)
		}
		if ok {
			marked = append(marked, q)
		}
	}
	return marked, nil
}
