package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Shipment is a shipments row.
type Shipment struct {
	ID                       string     `db:"id"`
	SellerID                 string     `db:"seller_id"`
	OrderID                  string     `db:"order_id"`
	Carrier                  string     `db:"carrier"`
	TrackingNumber           string     `db:"tracking_number"`
	NormalizedTrackingNumber string     `db:"normalized_tracking_number"`
	Service                  string     `db:"service"`
	ShipBy                   *time.Time `db:"ship_by"`
	ShippedAt                *time.Time `db:"shipped_at"`
	DeliverBy                *time.Time `db:"deliver_by"`
	DestinationPostalCode    string     `db:"destination_postal_code"`
	DestinationCountry       string     `db:"destination_country"`
	Status                   string     `db:"status"`
	LastEventAt              *time.Time `db:"last_event_at"`
	DeliveredAt              *time.Time `db:"delivered_at"`
	EstimatedDeliveryAt      *time.Time `db:"estimated_delivery_at"`
	FirstScanAt              *time.Time `db:"first_scan_at"`
	// LastEventSource is the source of the event the status follows
	// (shipment.Source), "" before any event.
	LastEventSource string     `db:"last_event_source"`
	CancelledAt     *time.Time `db:"cancelled_at"`
	// CancelledBy is "SELLER" or "BUYER"; "" when unknown (a carrier's
	// cancellation, or one recorded before the column existed).
	CancelledBy        string     `db:"cancelled_by"`
	ReturnedAt         *time.Time `db:"returned_at"`
	TrackingReceivedAt *time.Time `db:"tracking_received_at"`
	// OriginPostalCode and OriginCountry are where the parcel leaves from
	// ("": the seller's default).
	OriginPostalCode string    `db:"origin_postal_code"`
	OriginCountry    string    `db:"origin_country"`
	TrackingValid    bool      `db:"tracking_valid"`
	TrackingReason   string    `db:"tracking_reason"`
	TrackingCarrier  string    `db:"tracking_carrier"`
	CreatedAt        time.Time `db:"created_at"`
	UpdatedAt        time.Time `db:"updated_at"`
}

const shipmentColumns = `id, seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
	service, ship_by, shipped_at, deliver_by, destination_postal_code, destination_country, status,
	last_event_at, delivered_at, estimated_delivery_at, first_scan_at, last_event_source, cancelled_at,
	coalesce(cancelled_by, '') AS cancelled_by, returned_at, coalesce(tracking_received_at, created_at) AS tracking_received_at,
	origin_postal_code, origin_country,
	tracking_valid, tracking_reason, tracking_carrier, created_at, updated_at`

// ShipmentWrite is what a seller states about a shipment, with the
// normalised number and the tracking check already worked out.
type ShipmentWrite struct {
	OrderID                  string
	Carrier                  string
	TrackingNumber           string
	NormalizedTrackingNumber string
	Service                  string
	ShipBy                   *time.Time
	ShippedAt                *time.Time
	DeliverBy                *time.Time
	DestinationPostalCode    string
	DestinationCountry       string
	TrackingValid            bool
	TrackingReason           string
	TrackingCarrier          string
	OriginPostalCode         string
	OriginCountry            string
}

// Upserted is the outcome of writing one shipment.
type Upserted struct {
	Shipment Shipment
	Created  bool
}

// upsertInput is the rows to write, $2 to $15 as arrays (ord, then
// writeColumns), and upsertWrite writes them by identity (upsertWritten
// and upsertCounted return what it wrote). A known shipment
// whose seller-given fields are all the same is not rewritten: no new row
// version, index entries, trigger or updated_at, so a retried or repeated
// upload costs a read. Both the API and the import write through it.
const (
	upsertInput = `input AS (
			SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[],
				$13::boolean[], $14::text[], $15::text[], $16::text[], $17::text[])
			AS i(ord, order_id, carrier, tracking_number, normalized_tracking_number, service,
				ship_by, shipped_at, deliver_by, destination_postal_code, destination_country,
				tracking_valid, tracking_reason, tracking_carrier, origin_postal_code, origin_country)
		)`
	upsertWrite = `INSERT INTO shipments (seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
				service, ship_by, shipped_at, deliver_by, destination_postal_code, destination_country,
				tracking_valid, tracking_reason, tracking_carrier, origin_postal_code, origin_country)
			SELECT $1, order_id, carrier, tracking_number, normalized_tracking_number,
				service, ship_by, shipped_at, deliver_by, destination_postal_code, destination_country,
				tracking_valid, tracking_reason, tracking_carrier, origin_postal_code, origin_country
			FROM input ORDER BY ord
			ON CONFLICT ON CONSTRAINT shipments_identity DO UPDATE SET
				carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
				service = EXCLUDED.service, ship_by = EXCLUDED.ship_by, shipped_at = EXCLUDED.shipped_at,
				deliver_by = EXCLUDED.deliver_by, destination_postal_code = EXCLUDED.destination_postal_code,
				destination_country = EXCLUDED.destination_country, tracking_valid = EXCLUDED.tracking_valid,
				tracking_reason = EXCLUDED.tracking_reason, tracking_carrier = EXCLUDED.tracking_carrier,
				origin_postal_code = EXCLUDED.origin_postal_code, origin_country = EXCLUDED.origin_country,
				updated_at = now()
			WHERE (shipments.carrier, shipments.tracking_number, shipments.service, shipments.ship_by,
				shipments.shipped_at, shipments.deliver_by, shipments.destination_postal_code,
				shipments.destination_country, shipments.tracking_valid, shipments.tracking_reason,
				shipments.tracking_carrier, shipments.origin_postal_code, shipments.origin_country)
				IS DISTINCT FROM (EXCLUDED.carrier, EXCLUDED.tracking_number, EXCLUDED.service, EXCLUDED.ship_by,
				EXCLUDED.shipped_at, EXCLUDED.deliver_by, EXCLUDED.destination_postal_code,
				EXCLUDED.destination_country, EXCLUDED.tracking_valid, EXCLUDED.tracking_reason,
				EXCLUDED.tracking_carrier, EXCLUDED.origin_postal_code, EXCLUDED.origin_country)`
	upsertWritten = `written AS (` + upsertWrite + `
			RETURNING ` + shipmentColumns + `, (xmax = 0) AS created
		)`
	// upsertCounted is upsertWritten returning only whether each row
	// written was created: an import batch needs the count alone, and
	// building 10,000 rows of every column to count them is wasted.
	upsertCounted = `written AS (` + upsertWrite + `
			RETURNING (xmax = 0) AS created
		)`
)

// upsertArgs are the arguments of upsertInput.
func upsertArgs(sellerID string, ws []ShipmentWrite) []any {
	ord := make([]int64, len(ws))
	for i := range ord {
		ord[i] = int64(i)
	}
	return append([]any{sellerID, pq.Array(ord)}, writeColumns(ws)...)
}

// UpsertShipments writes shipments by their identity (seller, order id,
// normalised number): a new identity is inserted, a known one has its
// seller-given fields replaced when they differ. Writes must not repeat an
// identity. The result is in the order of writes, with the shipments left
// as they were too (Created false). Derived state (status, dates from
// events) is left to RefreshShipments.
func (s *Store) UpsertShipments(ctx context.Context, q sqlx.ExtContext, sellerID string, ws []ShipmentWrite) ([]Upserted, error) {
	if len(ws) == 0 {
		return []Upserted{}, nil
	}
	rows := []struct {
		Ord     int64 `db:"ord"`
		Created bool  `db:"created"`
		Shipment
	}{}
	// The unchanged are read from the statement's snapshot, which has them:
	// they were not written, and the caller holds their numbers' locks.
	err := sqlx.SelectContext(ctx, q, &rows, `
		WITH `+upsertInput+`, `+upsertWritten+`
		SELECT i.ord, w.* FROM written w
		JOIN input i ON i.order_id = w.order_id AND i.normalized_tracking_number = w.normalized_tracking_number
		UNION ALL
		SELECT i.ord, s.*, false FROM input i
		CROSS JOIN LATERAL (SELECT `+shipmentColumns+` FROM shipments
			WHERE seller_id = $1 AND order_id = i.order_id
				AND normalized_tracking_number = i.normalized_tracking_number) s
		WHERE NOT EXISTS (SELECT FROM written w
			WHERE w.order_id = i.order_id AND w.normalized_tracking_number = i.normalized_tracking_number)
		ORDER BY 1`,
		upsertArgs(sellerID, ws)...)
	if err != nil {
		return nil, fmt.Errorf("upsert shipments: %w", mapErr(err))
	}
	if len(rows) != len(ws) {
		return nil, fmt.Errorf("upsert shipments: %d of %d written or found; was one written meanwhile without its number's lock?", len(rows), len(ws))
	}
	out := make([]Upserted, len(rows))
	for i, r := range rows {
		out[i] = Upserted{Shipment: r.Shipment, Created: r.Created}
	}
	return out, nil
}

// UpdateShipment replaces the seller-given fields of one shipment.
func (s *Store) UpdateShipment(ctx context.Context, q sqlx.ExtContext, sellerID, id string, w ShipmentWrite) (Shipment, error) {
	var sh Shipment
	err := sqlx.GetContext(ctx, q, &sh, `
		UPDATE shipments SET order_id = $3, carrier = $4, tracking_number = $5, normalized_tracking_number = $6,
			service = $7, ship_by = $8, shipped_at = $9, deliver_by = $10, destination_postal_code = $11,
			destination_country = $12, tracking_valid = $13, tracking_reason = $14, tracking_carrier = $15,
			tracking_received_at = CASE WHEN normalized_tracking_number = $6 THEN tracking_received_at
				WHEN $6 = '' THEN NULL ELSE now() END,
			origin_postal_code = $16, origin_country = $17,
			updated_at = now()
		WHERE seller_id = $1 AND id = $2
		RETURNING `+shipmentColumns,
		sellerID, id, w.OrderID, w.Carrier, w.TrackingNumber, w.NormalizedTrackingNumber, w.Service,
		w.ShipBy, w.ShippedAt, w.DeliverBy, w.DestinationPostalCode, w.DestinationCountry,
		w.TrackingValid, w.TrackingReason, w.TrackingCarrier, w.OriginPostalCode, w.OriginCountry)
	if err != nil {
		return Shipment{}, fmt.Errorf("update shipment: %w", mapErr(err))
	}
	return sh, nil
}

// CancelShipment marks a shipment cancelled by "SELLER" or "BUYER";
// cancelling twice is a no-op that keeps the first cancellation's party.
func (s *Store) CancelShipment(ctx context.Context, q sqlx.ExtContext, sellerID, id, by string) (Shipment, error) {
	var sh Shipment
	err := sqlx.GetContext(ctx, q, &sh, `
		UPDATE shipments SET status = 'CANCELLED', cancelled_at = coalesce(cancelled_at, now()),
			cancelled_by = CASE WHEN cancelled_at IS NULL THEN $3 ELSE cancelled_by END,
			updated_at = CASE WHEN cancelled_at IS NULL THEN now() ELSE updated_at END
		WHERE seller_id = $1 AND id = $2
		RETURNING `+shipmentColumns, sellerID, id, by)
	if err != nil {
		return Shipment{}, fmt.Errorf("cancel shipment: %w", mapErr(err))
	}
	return sh, nil
}

// RecordReturn records that the buyer returned the shipment at at; nil
// clears a return recorded by mistake.
func (s *Store) RecordReturn(ctx context.Context, q sqlx.ExtContext, sellerID, id string, at *time.Time) (Shipment, error) {
	var sh Shipment
	err := sqlx.GetContext(ctx, q, &sh, `
		UPDATE shipments SET returned_at = $3, updated_at = now()
		WHERE seller_id = $1 AND id = $2
		RETURNING `+shipmentColumns, sellerID, id, at)
	if err != nil {
		return Shipment{}, fmt.Errorf("record return: %w", mapErr(err))
	}
	return sh, nil
}

// RecentTrackingNumbers returns the normalised numbers that passed the
// check on the seller's latest shipments, newest first, at most limit: what
// ranks suggestions for a mistyped number. It reads the seller's
// (created_at DESC) index and stops after limit valid rows.
func (s *Store) RecentTrackingNumbers(ctx context.Context, sellerID string, limit int) ([]string, error) {
	out := []string{}
	err := sqlx.SelectContext(ctx, s.db, &out, `
		SELECT normalized_tracking_number FROM shipments
		WHERE seller_id = $1 AND tracking_valid AND normalized_tracking_number <> ''
		ORDER BY created_at DESC, id DESC LIMIT $2`, sellerID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent tracking numbers: %w", mapErr(err))
	}
	return out, nil
}

// Shipment returns one of the seller's shipments.
func (s *Store) Shipment(ctx context.Context, sellerID, id string) (Shipment, error) {
	var sh Shipment
	err := s.db.GetContext(ctx, &sh, `SELECT `+shipmentColumns+` FROM shipments WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return Shipment{}, fmt.Errorf("shipment: %w", mapErr(err))
	}
	return sh, nil
}

// ShipmentsByID returns the seller's shipments with the given ids, in no
// particular order; unknown ids are left out. Dataloaders batch through it.
func (s *Store) ShipmentsByID(ctx context.Context, sellerID string, ids []string) ([]Shipment, error) {
	out := []Shipment{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND id = ANY($2::uuid[])`, sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("shipments by id: %w", mapErr(err))
	}
	return out, nil
}

// ShipmentsByTrackingNumber returns the seller's shipments carrying a
// normalised number, newest first: one number can be on several orders.
func (s *Store) ShipmentsByTrackingNumber(ctx context.Context, sellerID, normalized string) ([]Shipment, error) {
	out := []Shipment{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+shipmentColumns+` FROM shipments
		WHERE seller_id = $1 AND normalized_tracking_number = $2
		ORDER BY created_at DESC, id DESC LIMIT 500`, sellerID, normalized)
	if err != nil {
		return nil, fmt.Errorf("shipments by tracking number: %w", mapErr(err))
	}
	return out, nil
}

// ShipmentForUpdate reads one of the seller's shipments and locks it until
// the transaction ends.
func (s *Store) ShipmentForUpdate(ctx context.Context, q sqlx.QueryerContext, sellerID, id string) (Shipment, error) {
	var sh Shipment
	err := sqlx.GetContext(ctx, q, &sh, `SELECT `+shipmentColumns+` FROM shipments WHERE seller_id = $1 AND id = $2 FOR UPDATE`, sellerID, id)
	if err != nil {
		return Shipment{}, fmt.Errorf("shipment: %w", mapErr(err))
	}
	return sh, nil
}

// writeColumns turns writes into one array parameter per column, for
// unnest: order_id, carrier, tracking_number, normalized_tracking_number,
// service, ship_by, shipped_at, deliver_by, destination_postal_code,
// destination_country, tracking_valid, tracking_reason, tracking_carrier,
// origin_postal_code, origin_country.
func writeColumns(ws []ShipmentWrite) []any {
	n := len(ws)
	var (
		orderIDs  = make([]string, n)
		carriers  = make([]string, n)
		numbers   = make([]string, n)
		norms     = make([]string, n)
		services  = make([]string, n)
		shipBy    = make([]*time.Time, n)
		shipped   = make([]*time.Time, n)
		deliverBy = make([]*time.Time, n)
		postals   = make([]string, n)
		countries = make([]string, n)
		valids    = make([]bool, n)
		reasons   = make([]string, n)
		tcarriers = make([]string, n)
		oPostals  = make([]string, n)
		oCounts   = make([]string, n)
	)
	for i, w := range ws {
		orderIDs[i], carriers[i], numbers[i], norms[i] = w.OrderID, w.Carrier, w.TrackingNumber, w.NormalizedTrackingNumber
		services[i], shipBy[i], shipped[i], deliverBy[i] = w.Service, w.ShipBy, w.ShippedAt, w.DeliverBy
		postals[i], countries[i], valids[i], reasons[i], tcarriers[i] = w.DestinationPostalCode, w.DestinationCountry, w.TrackingValid, w.TrackingReason, w.TrackingCarrier
		oPostals[i], oCounts[i] = w.OriginPostalCode, w.OriginCountry
	}
	return []any{pq.Array(orderIDs), pq.Array(carriers), pq.Array(numbers), pq.Array(norms), pq.Array(services),
		pq.Array(shipBy), pq.Array(shipped), pq.Array(deliverBy), pq.Array(postals), pq.Array(countries),
		pq.Array(valids), pq.Array(reasons), pq.Array(tcarriers), pq.Array(oPostals), pq.Array(oCounts)}
}
