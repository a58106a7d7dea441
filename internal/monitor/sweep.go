package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Sweep runs the time-based rules over every seller's shipments at time
// at, one transaction per seller, and returns how many flags it raised and
// resolved. Silent and thinned webhook sources, and the carriers failing
// behind working ones, are marked first (DetectSilentSources,
// DetectThinnedSources, DetectDegradedCarriers), so the rules they hold
// are held in the same sweep. It never waits on a lock (docs/locking.md), so it cannot
// deadlock with the checks and writes running beside it.
func (s *Service) Sweep(ctx context.Context, at time.Time) (raised, resolved int, err error) {
	if err := s.requeueLostTurns(ctx); err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	if _, err := s.DetectSilentSources(ctx, at); err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	if _, _, err := s.DetectThinnedSources(ctx, at); err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	if _, _, err := s.DetectDegradedCarriers(ctx, at); err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	sellers, err := s.store.SellersWithShipments(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	loading, err := s.store.SellersLoading(ctx, sweepSkipsLoadsWithin)
	if err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	sellers = without(sellers, loading)
	var timeBased []flag.Rule
	for _, r := range flag.Rules {
		if r.TimeBased {
			timeBased = append(timeBased, r)
		}
	}
	for _, seller := range sellers {
		rai, res, err := s.sweepSellerParts(ctx, seller, timeBased, at)
		if err != nil {
			return raised, resolved, fmt.Errorf("sweep: %w", err)
		}
		raised, resolved = raised+rai, resolved+res
	}
	return raised, resolved, nil
}

// sweepSkipsLoadsWithin: the sweep leaves out a seller whose import
// committed a batch within this long (store.SellersLoading). Each batch
// runs every rule, the time-based ones included, on the shipments it
// writes, so the sweep would only read the seller's table as it grows
// (every minute, a statement per rule over a range growing with the load:
// a cost quadratic in the file) and find little to change. The seller's
// other shipments are swept by the first sweep after the load, within one
// sweep period of its end; other sellers are swept as ever. A loader that
// stops committing (dead, or stuck) stops counting after this long.
const sweepSkipsLoadsWithin = 30 * time.Second

// without returns ids less those in skip, in their order.
func without(ids, skip []string) []string {
	if len(skip) == 0 {
		return ids
	}
	drop := make(map[string]bool, len(skip))
	for _, id := range skip {
		drop[id] = true
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !drop[id] {
			out = append(out, id)
		}
	}
	return out
}

// sweepParts is how many parts of a seller's shipments the sweep runs at
// once, each on its own connection and in its own transaction: most of a
// sweep that raises or resolves many flags is PostgreSQL writing them, one
// statement at a time on one core per connection (docs/monitoring.md,
// Figures). The parts hold disjoint shipments, so their transactions never
// wait on each other's rows (docs/locking.md).
const sweepParts = 2

// sweepSellerParts runs rules over one seller's shipments at time at and
// returns how many flags they raised and resolved. It finds each rule's
// changes over the whole seller once (sweepChanges), then locks and
// applies them in parts (store.ShipmentParts) at once, one transaction
// each. A part that fails leaves the others' work committed; the next
// sweep evaluates its shipments again.
//
// Each part used to find its own changes, reading all the seller's
// candidates of every rule through the rules' partial indexes and keeping
// its share: every part read them all (docs/monitoring.md, Figures).
func (s *Service) sweepSellerParts(ctx context.Context, sellerID string, rules []flag.Rule, at time.Time) (raised, resolved int, err error) {
	changes, err := s.sweepChanges(ctx, sellerID, rules, at)
	if err != nil {
		return 0, 0, err
	}
	parts := store.ShipmentParts(sweepParts)
	type result struct {
		raised, resolved int
		err              error
	}
	results := make([]result, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		mine := make([][]string, len(rules))
		for j := range rules {
			mine[j] = part.Keep(changes[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
				if err := s.store.PrepareRuleTx(ctx, tx, false); err != nil {
					return err
				}
				var err error
				r.raised, r.resolved, err = s.applyChanges(ctx, tx, sellerID, rules, mine, at)
				return err
			})
		}()
	}
	wg.Wait()
	for _, r := range results {
		raised, resolved, err = raised+r.raised, resolved+r.resolved, errors.Join(err, r.err)
	}
	return raised, resolved, err
}

// sweepChanges finds, for each rule, the seller's shipments whose flag of
// the rule's kind changes at time at (store.FlagChanges, holding no lock),
// the rules shared among sweepParts connections: what each part then
// locks and applies is read again by key under its locks, so finding the
// changes outside the parts' transactions changes nothing they write.
func (s *Service) sweepChanges(ctx context.Context, sellerID string, rules []flag.Rule, at time.Time) ([][]string, error) {
	changes := make([][]string, len(rules))
	errs := make([]error, sweepParts)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
				if err := s.store.PrepareRuleTx(ctx, tx, false); err != nil {
					return err
				}
				for i := w; i < len(rules); i += len(errs) {
					var err error
					if changes[i], err = s.store.FlagChanges(ctx, tx, rules[i], sellerID, at); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	return changes, errors.Join(errs...)
}

// sweepSeller runs rules over all of one seller's shipments at time at,
// in one transaction.
func (s *Service) sweepSeller(ctx context.Context, sellerID string, rules []flag.Rule, at time.Time) error {
	return s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := s.store.PrepareRuleTx(ctx, tx, false); err != nil {
			return err
		}
		changes := make([][]string, len(rules))
		for i, r := range rules {
			var err error
			if changes[i], err = s.store.FlagChanges(ctx, tx, r, sellerID, at); err != nil {
				return err
			}
		}
		_, _, err := s.applyChanges(ctx, tx, sellerID, rules, changes, at)
		return err
	})
}

// applyChanges locks the shipments of every rule's changes (changes[i]
// are rules[i]'s, found holding no lock) without waiting, in one
// statement; then applies each rule to those it locked, reading them by
// key: with their locks held, that second reading sees every write
// committed before it, and no write can change them before the sweep
// commits. It returns how many flags it raised and resolved.
//
// Locking the changes of every rule at once, before writing any flag,
// writes each shipment's page once per sweep: a row lock writes its page
// (and, first after a checkpoint, the whole page into the WAL), and
// raising a flag locks its shipment again for the foreign key, which
// writes nothing when the transaction already holds the row. Locked rule
// by rule, a page holding shipments of several rules was written again
// for each, and in full again when a checkpoint began in between
// (docs/monitoring.md, Figures).
func (s *Service) applyChanges(ctx context.Context, tx *sqlx.Tx, sellerID string, rules []flag.Rule, changes [][]string, at time.Time) (raised, resolved int, err error) {
	var all []string
	for _, ids := range changes {
		all = append(all, ids...)
	}
	locked, err := s.store.LockUnlocked(ctx, tx, sellerID, all)
	if err != nil {
		return 0, 0, err
	}
	held := make(map[string]bool, len(locked))
	for _, id := range locked {
		held[id] = true
	}
	rai, res := make([]flag.Flag, 0, len(locked)), []flag.Flag{}
	for i, r := range rules {
		var ids []string
		for _, id := range changes[i] {
			if held[id] {
				ids = append(ids, id)
			}
		}
		resolvedNow, raisedNow, err := s.apply(ctx, tx, r, sellerID, at, ids)
		if err != nil {
			return 0, 0, err
		}
		rai, res = append(rai, raisedNow...), append(res, resolvedNow...)
	}
	return len(rai), len(res), s.announce(ctx, tx, rai, res)
}

// apply runs the rule at time at on the seller's shipments with these
// ids, whose row locks tx holds: it resolves the rule's flags that no
// longer hold and raises those that newly do.
func (s *Service) apply(ctx context.Context, tx *sqlx.Tx, r flag.Rule, sellerID string, at time.Time, ids []string) (resolved, raised []flag.Flag, err error) {
	ch, err := s.store.ApplyRule(ctx, tx, r, sellerID, at, ids)
	if err != nil {
		return nil, nil, err
	}
	// Counted once tx commits: Transact runs a transaction again after a
	// deadlock or serialization failure, and a rolled-back one raised nothing.
	if len(ch.Raised) > 0 || len(ch.Resolved) > 0 {
		s.store.OnCommit(tx, func() { s.metrics.count(ch.Raised, ch.Resolved) })
	}
	return ch.Resolved, ch.Raised, nil
}
