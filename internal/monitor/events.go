package monitor

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// EventsResult is what recording a batch of carrier events did.
type EventsResult struct {
	// Inserted are the events that were new; the rest were duplicates.
	Inserted   []store.Event
	Duplicates int
	// Proofs are the proofs of delivery the events carried (a DELIVERED
	// event with a signer or photo URL) that were new.
	Proofs []store.Proof
	// Changes are the shipments whose status moved.
	Changes []store.StatusChange
}

// RecordEvents stores carrier events for the seller and brings every
// shipment with those numbers up to date, in one transaction. Events for
// numbers no shipment carries yet are kept and attach when one arrives.
func (s *Service) RecordEvents(ctx context.Context, sellerID string, evs []shipment.Event) (EventsResult, error) {
	var res EventsResult
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = s.RecordEventsTx(ctx, tx, sellerID, evs)
		return err
	})
	return res, err
}

// RecordEventsTx is RecordEvents inside the caller's transaction, for a
// worker that marks its input processed in the same commit.
func (s *Service) RecordEventsTx(ctx context.Context, tx *sqlx.Tx, sellerID string, evs []shipment.Event) (EventsResult, error) {
	news := make([]store.NewEvent, 0, len(evs))
	for i, e := range evs {
		e = e.WithoutNUL()
		norm := tracking.Normalize(e.TrackingNumber)
		if norm == "" {
			return EventsResult{}, &shipment.FieldError{Field: fmt.Sprintf("events[%d].trackingNumber", i), Message: "is required"}
		}
		if !e.Status.Valid() {
			return EventsResult{}, &shipment.FieldError{Field: fmt.Sprintf("events[%d].status", i), Message: clip.Quote(string(e.Status)) + " is not a shipment status"}
		}
		news = append(news, store.NewEvent{Normalized: norm, Event: e})
	}
	if err := s.store.LockTrackingNumbers(ctx, tx, sellerID, normalizedOf(news)); err != nil {
		return EventsResult{}, fmt.Errorf("record events: %w", err)
	}
	inserted, err := s.store.InsertEvents(ctx, tx, sellerID, news)
	if err != nil {
		return EventsResult{}, fmt.Errorf("record events: %w", err)
	}
	res := EventsResult{Inserted: inserted, Duplicates: len(news) - len(inserted)}
	if res.Proofs, err = s.recordEventProofs(ctx, tx, sellerID, news); err != nil {
		return EventsResult{}, fmt.Errorf("record events: %w", err)
	}
	if len(inserted) == 0 {
		return res, nil
	}
	numbers := make([]string, 0, len(inserted))
	seen := map[string]bool{}
	for _, e := range inserted {
		if !seen[e.NormalizedTrackingNumber] {
			seen[e.NormalizedTrackingNumber] = true
			numbers = append(numbers, e.NormalizedTrackingNumber)
		}
	}
	if res.Changes, err = s.store.RefreshShipments(ctx, tx, sellerID, numbers); err != nil {
		return EventsResult{}, fmt.Errorf("record events: %w", err)
	}
	if err := s.watch(ctx, tx, sellerID, numbers, res.Changes); err != nil {
		return EventsResult{}, fmt.Errorf("record events: %w", err)
	}
	return res, nil
}

func normalizedOf(evs []store.NewEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Normalized
	}
	return out
}
