package store

import (
	"context"
	"database/sql"
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
//
// A seller can have a hundred thousand of them, so only the columns the
// projection and the delivery forecast read are filled (the order id,
// the number as sent, the last event's source, the cancellation, the
// return, the reason of the check and updatedAt are left empty), the
// instants travel as microseconds since the epoch (parsing timestamps
// as text dominated the read), and the rows are scanned without
// reflection. ShipmentsByID reads the few that are shown in full.
func (s *Store) OpenShipments(ctx context.Context, sellerID string, since, now time.Time) ([]Shipment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+leanColumns+` FROM shipments sh
		WHERE seller_id = $1 AND `+openCondition, sellerID, since, now)
	if err != nil {
		return nil, fmt.Errorf("open shipments: %w", mapErr(err))
	}
	out, _, err := scanLean(rows, false)
	if err != nil {
		return nil, fmt.Errorf("open shipments: %w", err)
	}
	return out, nil
}

// leanColumns are the columns of sh OpenShipments reads, in scanLean's
// order; openCondition is its condition on sh ($2: since, $3: now).
var leanColumns = `sh.id, sh.seller_id, sh.carrier, sh.normalized_tracking_number, sh.service,
			` + micros("sh.ship_by") + `, ` + micros("sh.shipped_at") + `, ` + micros("sh.deliver_by") + `,
			sh.destination_postal_code, sh.destination_country, sh.status, ` + micros("sh.last_event_at") + `,
			` + micros("sh.estimated_delivery_at") + `, ` + micros("sh.first_scan_at") + `,
			` + micros("coalesce(sh.tracking_received_at, sh.created_at)") + `, sh.origin_postal_code, sh.origin_country,
			sh.tracking_valid, sh.tracking_carrier, ` + micros("sh.created_at")

const openCondition = `sh.created_at >= $2 AND sh.cancelled_at IS NULL AND sh.delivered_at IS NULL
			AND (sh.first_scan_at IS NULL OR sh.deliver_by > $3 OR (sh.shipped_at IS NULL AND sh.ship_by > $3))`

// scanLean scans rows of leanColumns (then, with flag, one boolean per
// row, returned beside them) without reflection.
func scanLean(rows *sql.Rows, flag bool) ([]Shipment, []bool, error) {
	defer rows.Close()
	// The rows are gathered in blocks (each twice the last, up to
	// openBlock) and copied once into a slice of their number: appending
	// a hundred thousand shipments to one slice copies them again at
	// every growth.
	var blocks [][]Shipment
	var flags []bool
	n := 0
	block := make([]Shipment, 0, 64)
	var at [8]sql.NullInt64
	var f bool
	for rows.Next() {
		if len(block) == cap(block) {
			blocks, n = append(blocks, block), n+len(block)
			block = make([]Shipment, 0, min(2*cap(block), openBlock))
		}
		block = append(block, Shipment{})
		sh := &block[len(block)-1]
		dest := []any{&sh.ID, &sh.SellerID, &sh.Carrier, &sh.NormalizedTrackingNumber, &sh.Service,
			&at[0], &at[1], &at[2], &sh.DestinationPostalCode, &sh.DestinationCountry, &sh.Status, &at[3],
			&at[4], &at[5], &at[6], &sh.OriginPostalCode, &sh.OriginCountry,
			&sh.TrackingValid, &sh.TrackingCarrier, &at[7]}
		if flag {
			dest = append(dest, &f)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, mapErr(err)
		}
		if flag {
			flags = append(flags, f)
		}
		sh.ShipBy, sh.ShippedAt, sh.DeliverBy = fromMicros(at[0]), fromMicros(at[1]), fromMicros(at[2])
		sh.LastEventAt, sh.EstimatedDeliveryAt, sh.FirstScanAt = fromMicros(at[3]), fromMicros(at[4]), fromMicros(at[5])
		sh.TrackingReceivedAt = fromMicros(at[6])
		sh.CreatedAt = time.UnixMicro(at[7].Int64).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr(err)
	}
	if len(blocks) == 0 {
		return block, flags, nil
	}
	out := make([]Shipment, 0, n+len(block))
	for _, b := range append(blocks, block) {
		out = append(out, b...)
	}
	return out, flags, nil
}

// openBlock is how many open shipments OpenShipments gathers per block.
const openBlock = 4096

// OpenShipmentsDirect is OpenShipments with every column, scanned by
// sqlx as the other reads of shipments are: how they were read before,
// the reference the forecast's benchmark times OpenShipments against.
func (s *Store) OpenShipmentsDirect(ctx context.Context, sellerID string, since, now time.Time) ([]Shipment, error) {
	out := []Shipment{}
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT `+shipmentColumns+` FROM shipments sh
		WHERE seller_id = $1 AND `+openCondition,
		sellerID, since, now)
	if err != nil {
		return nil, fmt.Errorf("open shipments: %w", mapErr(err))
	}
	return out, nil
}

// micros is a timestamptz column as whole microseconds since the epoch
// (extract returns an exact numeric: nothing is lost).
func micros(col string) string { return `(extract(epoch FROM ` + col + `) * 1000000)::bigint` }

// fromMicros is micros' value back as an instant; nil for NULL.
func fromMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
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
