package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ApplyOutlook records one run of the outlook job for one of the seller's
// marketplaces, in one transaction: it locks the seller's outlook rows of
// the marketplace (each row owns its account flag, docs/locking.md), asks
// decide for the changes given those rows, raises and resolves the account
// flags the changes name, saves the rows with the raised flags' ids, and
// announces the flags as the rules' flags are (flagRaised and flagResolved
// subscribers, the dashboard's live feed, back-office notifications).
// Running it twice on the same projections changes nothing the second
// time: decide sees the first run's rows.
func (s *Service) ApplyOutlook(ctx context.Context, sellerID, marketplace string, at time.Time,
	decide func(prev []store.OutlookState) store.OutlookChanges) (raised, resolved []flag.Flag, err error) {
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		raised, resolved = nil, nil
		prev, err := s.store.LockOutlook(ctx, tx, sellerID, marketplace)
		if err != nil {
			return err
		}
		ch := decide(prev)
		if raised, err = s.store.RaiseAccountFlags(ctx, tx, sellerID, ch.Kind, ch.Severity, ch.Raise, at); err != nil {
			return err
		}
		if err := s.linkRaised(ctx, tx, sellerID, &ch, raised); err != nil {
			return err
		}
		if resolved, err = s.store.ResolveAccountFlags(ctx, tx, sellerID, ch.Resolve, at); err != nil {
			return err
		}
		if err := s.store.SaveOutlook(ctx, tx, sellerID, ch.States); err != nil {
			return err
		}
		return s.announce(ctx, tx, raised, resolved)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("apply outlook: %w", err)
	}
	s.metrics.count(raised, resolved)
	return raised, resolved, nil
}

// linkRaised gives each state whose flag was raised the flag's id. A
// subject that already had an open flag (its state row was lost, or a
// flag raised by an earlier version) is linked to that flag, which is not
// announced again.
func (s *Service) linkRaised(ctx context.Context, tx *sqlx.Tx, sellerID string, ch *store.OutlookChanges, raised []flag.Flag) error {
	ids := map[string]string{}
	for _, f := range raised {
		ids[f.Subject] = f.ID
	}
	var missing []string
	for _, r := range ch.Raise {
		if _, ok := ids[r.Subject]; !ok {
			missing = append(missing, r.Subject)
		}
	}
	if len(missing) > 0 {
		open, err := s.store.OpenAccountFlags(ctx, tx, sellerID, ch.Kind, missing)
		if err != nil {
			return err
		}
		for _, f := range open {
			ids[f.Subject] = f.ID
		}
	}
	for _, r := range ch.Raise {
		if id, ok := ids[r.Subject]; ok {
			ch.States[r.State].FlagID = &id
		}
	}
	return nil
}
