package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// defaultCheckRound bounds the shipments one turn of a seller's check
// lane checks before the lane's next turn queues behind every other
// seller's: about a second of work.
const defaultCheckRound = 1000

// defaultTurnBudget is how long one job of a seller's check lane goes on
// with the lane's next rounds before it queues them behind other sellers.
const defaultTurnBudget = time.Second

// turnLostAfter is how long a check turn may go without its job running
// before the sweep queues it again (its job was lost).
const turnLostAfter = 10 * time.Minute

// watch queues, in the writing transaction, what a write to the seller's
// shipments causes: a check of the rules on the shipments carrying the
// written numbers (the written ones and their duplicates), in the seller's
// own check lanes, and the notifications of status changes. A shipment
// without a number can only break time-based rules, which the next sweep
// evaluates.
func (s *Service) watch(ctx context.Context, tx *sqlx.Tx, sellerID string, numbers []string, changes []store.StatusChange) error {
	ids, err := s.store.WrittenShipments(ctx, tx, sellerID, nonEmpty(numbers))
	if err != nil {
		return err
	}
	started, err := s.store.QueueChecks(ctx, tx, sellerID, ids)
	if err != nil {
		return err
	}
	if err := s.queueTurns(ctx, tx, started); err != nil {
		return err
	}
	return s.announceStatus(ctx, tx, sellerID, changes)
}

// queueTurns queues a job for each check turn, in tx.
func (s *Service) queueTurns(ctx context.Context, tx *sqlx.Tx, turns []store.CheckTurn) error {
	if len(turns) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(turns))
	for i, t := range turns {
		params[i] = river.InsertManyParams{Args: jobs.CheckArgs{SellerID: t.SellerID, Lane: &t.Lane}}
	}
	if _, err := s.jobs.InsertManyFastTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("enqueue checks: %w", err)
	}
	return nil
}

// CheckTurn runs one turn of a seller's check lane: it checks the lane's
// oldest pending shipments (at most WithCheckRound) in one transaction,
// and then ends the turn or, when more are pending, goes on with the next
// round itself for up to the turn budget (WithCheckTurnBudget), and after
// it queues the lane's next turn behind the turns of every other seller
// already queued. Each round commits on its own: a round that fails runs
// again from the same rows.
//
// Going on in the same job spares each round the wait for River's next
// poll (a quarter of a second by default), during which the lane's
// checks only pile up: with a burst of webhooks that wait, not the work,
// set how far the checks lagged. Other sellers' turns run on the other
// check workers meanwhile, and wait at most the budget for this one.
func (s *Service) CheckTurn(ctx context.Context, sellerID string, lane int) error {
	t := store.CheckTurn{SellerID: sellerID, Lane: lane}
	started := time.Now()
	for {
		more, err := s.runRound(ctx, t, time.Since(started) < s.turnBudget)
		if err != nil || !more {
			return err
		}
	}
}

// runRound checks one round of the lane's pending shipments and ends
// the turn when none is left. When some are, it reports more if goOn,
// and otherwise queues the lane's next turn.
func (s *Service) runRound(ctx context.Context, t store.CheckTurn, goOn bool) (more bool, err error) {
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		more = false
		ps, err := s.store.PendingChecks(ctx, tx, t, s.checkRound)
		if err != nil {
			return err
		}
		seqs := make([]int64, len(ps))
		seen := make(map[string]bool, len(ps))
		var ids []string
		for i, p := range ps {
			seqs[i] = p.Seq
			if !seen[p.ShipmentID] {
				seen[p.ShipmentID] = true
				ids = append(ids, p.ShipmentID)
			}
		}
		if len(ids) > 0 {
			if err := s.checkTx(ctx, tx, t.SellerID, ids); err != nil {
				return err
			}
			if err := s.store.DonePendingChecks(ctx, tx, t, seqs); err != nil {
				return err
			}
		}
		ended, err := s.store.EndCheckTurn(ctx, tx, t)
		if err != nil || ended {
			return err
		}
		if goOn {
			more = true
			return nil
		}
		return s.queueTurns(ctx, tx, []store.CheckTurn{t})
	})
	return more, err
}

// StartIdleChecks starts a turn, and queues its job, for every check lane
// with pending shipments and no turn: rows whose writer did not start the
// lane's turn because another writer held it, or because the turn ended
// before the rows were committed. It runs every second
// (jobs.StartChecksJob) and returns how many turns it started.
func (s *Service) StartIdleChecks(ctx context.Context) (int, error) {
	var n int
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		started, err := s.store.StartIdleTurns(ctx, tx)
		if err != nil {
			return err
		}
		n = len(started)
		return s.queueTurns(ctx, tx, started)
	})
	return n, err
}

// requeueLostTurns queues again the check turns whose job was lost.
func (s *Service) requeueLostTurns(ctx context.Context) error {
	return s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		lost, err := s.store.StaleCheckTurns(ctx, tx, turnLostAfter)
		if err != nil {
			return err
		}
		return s.queueTurns(ctx, tx, lost)
	})
}

// Check runs every rule on the seller's shipments with these ids (and
// those sharing their numbers), or on all of them when ids is nil, now:
// raising and resolving flags and announcing both in one transaction.
// Running it twice changes nothing the second time.
func (s *Service) Check(ctx context.Context, sellerID string, ids []string) error {
	if ids == nil {
		// A check of everything follows a change of settings: the
		// forecast risks depend on the threshold and the origin.
		if err := s.refreshAllRisk(ctx, sellerID); err != nil {
			return err
		}
		return s.sweepSeller(ctx, sellerID, flag.Rules, s.now())
	}
	return s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		return s.checkTx(ctx, tx, sellerID, ids)
	})
}

// checkTx is Check of given shipments in tx. It locks the shipments first,
// in ascending id, and then brings their event-derived state up to date: a
// check runs after the write that caused it, and repairs what a writer
// that does not take the tracking-number locks (an import batch) computed
// from a view missing events committed meanwhile. Every rule then reads
// those rows by key.
func (s *Service) checkTx(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string) error {
	if err := s.store.PrepareRuleTx(ctx, tx, true); err != nil {
		return err
	}
	locked, err := s.store.LockChecked(ctx, tx, sellerID, ids)
	if err != nil || len(locked) == 0 {
		return err
	}
	if err := s.refreshByID(ctx, tx, sellerID, locked); err != nil {
		return err
	}
	return s.checkLocked(ctx, tx, sellerID, locked)
}

// checkLocked runs every rule on shipments whose row locks tx holds; the
// caller has prepared tx (store.PrepareRuleTx, keyed).
func (s *Service) checkLocked(ctx context.Context, tx *sqlx.Tx, sellerID string, locked []string) error {
	return s.checkLockedTimed(ctx, tx, sellerID, locked, nil)
}

// checkLockedTimed is checkLocked, timing its steps on clk (nil: untimed).
func (s *Service) checkLockedTimed(ctx context.Context, tx *sqlx.Tx, sellerID string, locked []string, clk *stepClock) error {
	if len(locked) == 0 {
		// Nothing to check; each batch still times every step once.
		clk.lap(StepRisk)
		clk.lap(StepRules)
		clk.lap(StepAnnounce)
		return nil
	}
	if err := s.refreshRisk(ctx, tx, sellerID, locked); err != nil {
		return err
	}
	clk.lap(StepRisk)
	// One statement for every rule: a statement per rule read the
	// shipments and their flags again for each rule (docs/imports.md).
	ch, err := s.store.ApplyRules(ctx, tx, flag.Rules, sellerID, s.now(), locked)
	if err != nil {
		return err
	}
	clk.lap(StepRules)
	s.metrics.count(ch.Raised, ch.Resolved)
	if err := s.announce(ctx, tx, ch.Raised, ch.Resolved); err != nil {
		return err
	}
	clk.lap(StepAnnounce)
	return nil
}

// MaxResolutionNoteBytes bounds the note of a flag resolved by hand.
const MaxResolutionNoteBytes = 2000

// ResolveFlag resolves a flag by hand with a note. While its condition
// still holds, no new flag of its kind is raised on its shipment.
// Resolving a resolved flag returns it unchanged.
func (s *Service) ResolveFlag(ctx context.Context, sellerID, id, note string) (flag.Flag, error) {
	if len(note) > MaxResolutionNoteBytes {
		return flag.Flag{}, &shipment.FieldError{Field: "note", Message: fmt.Sprintf("is longer than %d characters", MaxResolutionNoteBytes)}
	}
	var f flag.Flag
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		var changed bool
		var err error
		if f, changed, err = s.store.ResolveFlag(ctx, tx, sellerID, id, note); err != nil || !changed {
			return err
		}
		resolved := f
		s.store.OnCommit(tx, func() { s.metrics.count(nil, []flag.Flag{resolved}) })
		return s.announce(ctx, tx, nil, []flag.Flag{f})
	})
	if err != nil {
		return flag.Flag{}, fmt.Errorf("resolve flag: %w", err)
	}
	return f, nil
}

// AcknowledgeFlag marks a flag seen and announces it to live subscribers
// in the same transaction. Acknowledging twice keeps the first time and
// announces nothing the second time.
func (s *Service) AcknowledgeFlag(ctx context.Context, sellerID, id string) (flag.Flag, error) {
	var f flag.Flag
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		var changed bool
		var err error
		if f, changed, err = s.store.AcknowledgeFlag(ctx, tx, sellerID, id); err != nil || !changed {
			return err
		}
		return pubsub.Publish(ctx, tx, flagMessages(pubsub.TopicFlagAcknowledged, []flag.Flag{f})...)
	})
	if err != nil {
		return flag.Flag{}, fmt.Errorf("acknowledge flag: %w", err)
	}
	return f, nil
}

// announce publishes raised and resolved flags to live subscribers
// (websockets, the dashboard) and records and enqueues the notifications
// of both for sellers with an endpoint, in the transaction that changed
// them.
func (s *Service) announce(ctx context.Context, tx *sqlx.Tx, raised, resolved []flag.Flag) error {
	if len(raised) == 0 && len(resolved) == 0 {
		return nil
	}
	msgs := append(flagMessages(pubsub.TopicFlagRaised, raised), flagMessages(pubsub.TopicFlagResolved, resolved)...)
	if err := pubsub.Publish(ctx, tx, msgs...); err != nil {
		return err
	}
	return s.notifyFlags(ctx, tx, raised, resolved)
}

// flagMessages names flags in one message of the topic per seller, in the
// order the sellers first appear.
func flagMessages(topic string, flags []flag.Flag) []pubsub.Message {
	bySeller := map[string]int{}
	var msgs []pubsub.Message
	for _, f := range flags {
		i, ok := bySeller[f.SellerID]
		if !ok {
			i = len(msgs)
			bySeller[f.SellerID] = i
			msgs = append(msgs, pubsub.Message{Topic: topic, SellerID: f.SellerID})
		}
		msgs[i].IDs = append(msgs[i].IDs, f.ID)
	}
	return msgs
}

// announceStatus publishes status changes to websocket subscribers and
// records and enqueues their notifications.
func (s *Service) announceStatus(ctx context.Context, tx *sqlx.Tx, sellerID string, changes []store.StatusChange) error {
	if len(changes) == 0 {
		return nil
	}
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.ShipmentID
	}
	if err := pubsub.Publish(ctx, tx, pubsub.Message{Topic: pubsub.TopicShipmentUpdated, SellerID: sellerID, IDs: ids}); err != nil {
		return err
	}
	if err := s.learnDeliveries(ctx, tx, sellerID, changes); err != nil {
		return err
	}
	return s.notifyStatus(ctx, tx, sellerID, changes)
}

// refreshByID recomputes the event-derived state of the seller's shipments
// with these ids, whose row locks tx holds, announcing status changes.
func (s *Service) refreshByID(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string) error {
	changes, err := s.store.RefreshLocked(ctx, tx, sellerID, ids)
	if err != nil {
		return err
	}
	return s.announceStatus(ctx, tx, sellerID, changes)
}
