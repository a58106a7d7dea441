package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TimeRange bounds a timestamp: From inclusive, To exclusive; nil is open.
type TimeRange struct {
	From *time.Time
	To   *time.Time
}

func (r *TimeRange) params() (any, any) {
	if r == nil {
		return nil, nil
	}
	return r.From, r.To
}

// ShipmentFilter narrows a shipment list; zero fields do not filter.
type ShipmentFilter struct {
	Statuses []string
	Carriers []string
	OrderID  string
	// NormalizedTrackingNumber matches the normalised number exactly.
	NormalizedTrackingNumber string
	Created                  *TimeRange
	Shipped                  *TimeRange
	ShipBy                   *TimeRange
	DeliverBy                *TimeRange
}

// shipmentFilterSQL is the WHERE clause shared by the list and its count.
// Each condition is switched off by a NULL parameter, so the SQL text is
// fixed and never built from input.
const shipmentFilterSQL = `
	seller_id = $1
	AND ($2::text[] IS NULL OR status = ANY($2))
	AND ($3::text[] IS NULL OR carrier = ANY($3))
	AND ($4::text IS NULL OR order_id = $4)
	AND ($5::text IS NULL OR normalized_tracking_number = $5)
	AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
	AND ($8::timestamptz IS NULL OR shipped_at >= $8) AND ($9::timestamptz IS NULL OR shipped_at < $9)
	AND ($10::timestamptz IS NULL OR ship_by >= $10) AND ($11::timestamptz IS NULL OR ship_by < $11)
	AND ($12::timestamptz IS NULL OR deliver_by >= $12) AND ($13::timestamptz IS NULL OR deliver_by < $13)`

func (f ShipmentFilter) params(sellerID string) []any {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	list := func(v []string) any {
		if len(v) == 0 {
			return nil
		}
		return pq.Array(v)
	}
	cf, ct := f.Created.params()
	sf, st := f.Shipped.params()
	bf, bt := f.ShipBy.params()
	df, dt := f.DeliverBy.params()
	return []any{sellerID, list(f.Statuses), list(f.Carriers), nullable(f.OrderID),
		nullable(f.NormalizedTrackingNumber), cf, ct, sf, st, bf, bt, df, dt}
}

// Shipments lists the seller's shipments, newest first, limit at a time
// after a cursor.
func (s *Store) Shipments(ctx context.Context, sellerID string, f ShipmentFilter, limit int, after Cursor) (Page[Shipment], error) {
	at, aid := after.after()
	args := append(f.params(sellerID), at, aid, limit+1)
	rows := []Shipment{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+shipmentColumns+` FROM shipments WHERE `+shipmentFilterSQL+`
		AND ($14::timestamptz IS NULL OR (created_at, id) < ($14, $15::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $16`, args...)
	if err != nil {
		return Page[Shipment]{}, fmt.Errorf("shipments: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(sh Shipment) Cursor { return Cursor{Time: sh.CreatedAt, ID: sh.ID} }), nil
}

// CountShipments counts the seller's shipments matching a filter.
func (s *Store) CountShipments(ctx context.Context, sellerID string, f ShipmentFilter) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM shipments WHERE `+shipmentFilterSQL, f.params(sellerID)...)
	if err != nil {
		return 0, fmt.Errorf("count shipments: %w", mapErr(err))
	}
	return n, nil
}
