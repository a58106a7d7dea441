package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// OpenShipments returns the seller's shipments received since `since`
// whose outcome in some published metric can still change at now: not
// cancelled, not delivered, and either never scanned, or still before
// their deliverBy, or not shipped before their shipBy. The projection of
// account health (internal/health) and its save queue read them.
func (s *Store) OpenShipments(ctx context.Context, sellerID string, since, now time.Time) ([]Shipment, error) {
	out := []Shipment{}
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND created_at >= $2 AND cancelled_at IS NULL AND delivered_at IS NULL
			AND (first_scan_at IS NULL OR deliver_by > $3 OR (shipped_at IS NULL AND ship_by > $3))`,
		sellerID, since, now)
	if err != nil {
		return nil, fmt.Errorf("open shipments: %w", mapErr(err))
	}
	return out, nil
}

// Claim is an open dispute whose answer evidence can still change, with
// its shipment.
type Claim struct {
	Dispute  Dispute
	Shipment Shipment
}

// OpenClaims returns the seller's disputes of the given kinds opened since
// `since` that evidence can still answer at now: open, their response
// deadline unknown or after now, no evidence pack generated for them yet,
// on a shipment that is not cancelled and has a carrier scan (a parcel the
// carrier never scanned leaves the pack nothing to show). The save queue's
// ASSEMBLE_EVIDENCE items (internal/health) read them.
func (s *Store) OpenClaims(ctx context.Context, sellerID string, kinds []string, since, now time.Time) ([]Claim, error) {
	var ds []Dispute
	// disputes_seller_opened_idx: the seller's disputes opened since.
	err := sqlx.SelectContext(ctx, s.db, &ds, `SELECT `+disputeColumns+` FROM disputes d
		WHERE d.seller_id = $1 AND d.opened_at >= $3 AND d.status = 'OPEN' AND d.kind = ANY($2)
			AND (d.respond_by IS NULL OR d.respond_by > $4) AND d.last_pack_generated_at IS NULL
			AND EXISTS (SELECT 1 FROM shipments sh WHERE sh.seller_id = d.seller_id AND sh.id = d.shipment_id
				AND sh.cancelled_at IS NULL AND sh.first_scan_at IS NOT NULL)
		ORDER BY d.opened_at, d.id`, sellerID, pq.Array(kinds), since, now)
	if err != nil {
		return nil, fmt.Errorf("open claims: %w", mapErr(err))
	}
	if len(ds) == 0 {
		return []Claim{}, nil
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ShipmentID
	}
	shs, err := s.ShipmentsByID(ctx, sellerID, ids)
	if err != nil {
		return nil, fmt.Errorf("open claims: %w", err)
	}
	byID := make(map[string]Shipment, len(shs))
	for _, sh := range shs {
		byID[sh.ID] = sh
	}
	out := make([]Claim, 0, len(ds))
	for _, d := range ds {
		if sh, ok := byID[d.ShipmentID]; ok {
			out = append(out, Claim{Dispute: d, Shipment: sh})
		}
	}
	return out, nil
}
