package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// recordEventProofs appends to their chains the proofs of delivery that
// carrier events carry, in the events' transaction.
func (s *Service) recordEventProofs(ctx context.Context, tx *sqlx.Tx, sellerID string, news []store.NewEvent) ([]store.Proof, error) {
	proofs, err := s.store.EventProofs(ctx, tx, sellerID, news)
	if err != nil {
		return nil, err
	}
	return s.store.InsertProofs(ctx, tx, sellerID, proofs)
}

// RecordProof records a proof of delivery for one of the seller's
// shipments, from its back office: the proof joins the shipment's
// evidence chain (its number's, or its own without one) with its photo
// and signature, whose type is decided from their bytes and whose size
// is at most maxImage bytes. Its source is always BACK_OFFICE: a seller
// cannot make an upload look like the carrier's.
func (s *Service) RecordProof(ctx context.Context, sellerID string, in shipment.ProofInput, maxImage int64, now time.Time) (store.Proof, error) {
	in = in.Clean()
	if ferr := in.Validate(now); ferr != nil {
		return store.Proof{}, ferr
	}
	photo, err := proofImage("photo", in.Photo, maxImage)
	if err != nil {
		return store.Proof{}, err
	}
	signature, err := proofImage("signature", in.Signature, maxImage)
	if err != nil {
		return store.Proof{}, err
	}
	sh, err := s.store.Shipment(ctx, sellerID, in.ShipmentID)
	if err != nil {
		return store.Proof{}, fmt.Errorf("record proof of delivery: %w", err)
	}
	var out []store.Proof
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		out, err = s.store.InsertProofs(ctx, tx, sellerID, []store.NewProof{{
			Chain: store.ChainOf(sh), ShipmentID: sh.ID, DeliveredAt: in.DeliveredAt, SignedBy: in.SignedBy,
			Latitude: in.Latitude, Longitude: in.Longitude, LocationDescription: in.LocationDescription,
			CarrierReference: in.CarrierReference, Source: shipment.SourceBackOffice,
			Photo: photo, Signature: signature,
		}})
		return err
	})
	if err != nil {
		return store.Proof{}, fmt.Errorf("record proof of delivery: %w", err)
	}
	return out[0], nil
}

// proofImage checks an uploaded image: at most limit bytes, and a PNG,
// JPEG or GIF as its bytes say, whatever its file name claims.
func proofImage(field string, b []byte, limit int64) (*store.Image, error) {
	if b == nil {
		return nil, nil
	}
	if int64(len(b)) > limit {
		return nil, &shipment.FieldError{Field: field, Message: fmt.Sprintf("is larger than the limit of %s", size(limit))}
	}
	ct, err := evidence.SniffImage(b)
	if errors.Is(err, evidence.ErrUnsupportedImage) {
		return nil, &shipment.FieldError{Field: field, Message: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return &store.Image{ContentType: ct, Data: b}, nil
}

// size prints a byte count the way the configuration is written.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
