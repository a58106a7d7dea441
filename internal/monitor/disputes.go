package monitor

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// OpenDispute records a buyer's dispute on one of the seller's shipments.
// It holds the shipment's evidence chain while it commits, so the
// retention job cannot purge evidence under a dispute being opened.
func (s *Service) OpenDispute(ctx context.Context, sellerID, shipmentID string, in shipment.DisputeInput) (store.Dispute, error) {
	in = in.Clean()
	if ferr := in.Validate(); ferr != nil {
		return store.Dispute{}, ferr
	}
	sh, err := s.store.Shipment(ctx, sellerID, shipmentID)
	if err != nil {
		return store.Dispute{}, fmt.Errorf("open dispute: %w", err)
	}
	var d store.Dispute
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := s.store.HoldChain(ctx, tx, sellerID, store.ChainOf(sh)); err != nil {
			return err
		}
		d, err = s.store.InsertDispute(ctx, tx, sellerID, sh.ID, disputeWrite(in))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return store.Dispute{}, &shipment.FieldError{Field: "externalReference",
			Message: "a dispute of this kind with this reference already exists"}
	}
	if err != nil {
		return store.Dispute{}, fmt.Errorf("open dispute: %w", err)
	}
	return d, nil
}

// UpdateDispute applies a change to the seller-given fields of an open
// dispute; a closed dispute is final.
func (s *Service) UpdateDispute(ctx context.Context, sellerID, id string, change func(*shipment.DisputeInput)) (store.Dispute, error) {
	var out store.Dispute
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		cur, err := s.store.DisputeForUpdate(ctx, tx, sellerID, id)
		if err != nil {
			return err
		}
		if cur.Status != store.DisputeOpen {
			return &shipment.FieldError{Field: "id", Message: "the dispute is closed and can no longer change"}
		}
		in := shipment.DisputeInput{
			Kind: shipment.DisputeKind(cur.Kind), ExternalReference: cur.ExternalReference,
			RespondBy: cur.RespondBy, Currency: cur.Currency, Note: cur.Note,
		}
		if cur.Amount != nil {
			in.Amount = *cur.Amount
		}
		change(&in)
		in = in.Clean()
		if ferr := in.Validate(); ferr != nil {
			return ferr
		}
		out, err = s.store.UpdateDispute(ctx, tx, sellerID, id, disputeWrite(in))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return store.Dispute{}, &shipment.FieldError{Field: "externalReference",
			Message: "a dispute of this kind with this reference already exists"}
	}
	if err != nil {
		return store.Dispute{}, fmt.Errorf("update dispute: %w", err)
	}
	return out, nil
}

// CloseDispute closes an open dispute with its outcome. Closing again with
// the same outcome is harmless (a retry); with another one it is refused.
func (s *Service) CloseDispute(ctx context.Context, sellerID, id string, outcome shipment.DisputeOutcome) (store.Dispute, error) {
	if !outcome.Valid() {
		return store.Dispute{}, &shipment.FieldError{Field: "outcome", Message: clip.Quote(string(outcome)) + " is not an outcome"}
	}
	var out store.Dispute
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		cur, err := s.store.DisputeForUpdate(ctx, tx, sellerID, id)
		if err != nil {
			return err
		}
		if cur.Status == store.DisputeClosed {
			if cur.Outcome != nil && *cur.Outcome == string(outcome) {
				out = cur
				return nil
			}
			return &shipment.FieldError{Field: "outcome", Message: "the dispute is already closed with another outcome"}
		}
		out, err = s.store.CloseDispute(ctx, tx, sellerID, id, string(outcome))
		return err
	})
	if err != nil {
		return store.Dispute{}, fmt.Errorf("close dispute: %w", err)
	}
	return out, nil
}

func disputeWrite(in shipment.DisputeInput) store.DisputeWrite {
	return store.DisputeWrite{
		Kind: string(in.Kind), ExternalReference: in.ExternalReference, RespondBy: in.RespondBy,
		Amount: in.Amount, Currency: in.Currency, Note: in.Note,
	}
}
