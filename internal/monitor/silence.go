package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
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
	if err := s.baselines(ctx, quiet, now); err != nil {
		return nil, fmt.Errorf("detect silent sources: %w", err)
	}
	// Counting open shipments costs more than the baseline: only for the
	// sources whose deliveries already say "abnormal".
	var suspects []source.Quiet
	var sellers []string
	for _, q := range quiet {
		if q.Judge(now, -1).Suspect {
			suspects, sellers = append(suspects, q), append(sellers, q.SellerID)
		}
	}
	if len(suspects) == 0 {
		return nil, nil
	}
	open, err := s.store.ShipmentsAwaitingWebhookScans(ctx, sellers, now, source.SilenceOpenShipments)
	if err != nil {
		return nil, fmt.Errorf("detect silent sources: %w", err)
	}
	var marked []source.Quiet
	for i, q := range suspects {
		v := q.Judge(now, open[i])
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

// silenceBatch is how many quiet sources one baseline statement reads
// (seven windows each).
const silenceBatch = 1000

// baselines fills each quiet source's baseline counts, a batch of sources
// per statement.
func (s *Service) baselines(ctx context.Context, quiet []source.Quiet, now time.Time) error {
	for lo := 0; lo < len(quiet); lo += silenceBatch {
		batch := quiet[lo:min(lo+silenceBatch, len(quiet))]
		ws := make([]store.SourceWindow, 0, len(batch)*source.SilenceBaselineDays)
		for _, q := range batch {
			_, days := source.SilentHours(q.LastDeliveryAt, now)
			for _, w := range days {
				ws = append(ws, store.SourceWindow{SellerID: q.SellerID, SourceID: q.SourceID, Window: w})
			}
		}
		got, err := s.store.SourceDeliveries(ctx, ws)
		if err != nil {
			return err
		}
		for i := range batch {
			batch[i].Baseline = got[i*source.SilenceBaselineDays : (i+1)*source.SilenceBaselineDays]
		}
	}
	return nil
}
