package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Dispute is a disputes row.
type Dispute struct {
	ID                string     `db:"id"`
	SellerID          string     `db:"seller_id"`
	ShipmentID        string     `db:"shipment_id"`
	Kind              string     `db:"kind"`
	ExternalReference string     `db:"external_reference"`
	RespondBy         *time.Time `db:"respond_by"`
	// Amount is the numeric as PostgreSQL prints it ("49.99"), nil when none.
	Amount              *string    `db:"amount"`
	Currency            string     `db:"currency"`
	Note                string     `db:"note"`
	Status              string     `db:"status"`
	Outcome             *string    `db:"outcome"`
	OpenedAt            time.Time  `db:"opened_at"`
	ClosedAt            *time.Time `db:"closed_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
	PacksGenerated      int        `db:"packs_generated"`
	LastPackGeneratedAt *time.Time `db:"last_pack_generated_at"`
}

// Dispute statuses.
const (
	DisputeOpen   = "OPEN"
	DisputeClosed = "CLOSED"
)

const disputeColumns = `id, seller_id, shipment_id, kind, external_reference, respond_by, amount::text AS amount,
	currency, note, status, outcome, opened_at, closed_at, updated_at, packs_generated, last_pack_generated_at`

// DisputeWrite is what a seller states about a dispute, validated.
type DisputeWrite struct {
	Kind              string
	ExternalReference string
	RespondBy         *time.Time
	Amount            string // "" for none
	Currency          string
	Note              string
}

// InsertDispute opens a dispute on one of the seller's shipments. A second
// dispute with the same kind and external reference is ErrConflict.
func (s *Store) InsertDispute(ctx context.Context, q sqlx.ExtContext, sellerID, shipmentID string, w DisputeWrite) (Dispute, error) {
	var d Dispute
	err := sqlx.GetContext(ctx, q, &d, `
		INSERT INTO disputes (seller_id, shipment_id, kind, external_reference, respond_by, amount, currency, note)
		VALUES ($1, $2, $3, $4, $5, nullif($6, '')::numeric, $7, $8)
		RETURNING `+disputeColumns,
		sellerID, shipmentID, w.Kind, w.ExternalReference, w.RespondBy, w.Amount, w.Currency, w.Note)
	if err != nil {
		return Dispute{}, fmt.Errorf("insert dispute: %w", mapErr(err))
	}
	return d, nil
}

// UpdateDispute replaces the seller-given fields of one of the seller's
// disputes.
func (s *Store) UpdateDispute(ctx context.Context, q sqlx.ExtContext, sellerID, id string, w DisputeWrite) (Dispute, error) {
	var d Dispute
	err := sqlx.GetContext(ctx, q, &d, `
		UPDATE disputes SET kind = $3, external_reference = $4, respond_by = $5, amount = nullif($6, '')::numeric,
			currency = $7, note = $8, updated_at = now()
		WHERE seller_id = $1 AND id = $2
		RETURNING `+disputeColumns,
		sellerID, id, w.Kind, w.ExternalReference, w.RespondBy, w.Amount, w.Currency, w.Note)
	if err != nil {
		return Dispute{}, fmt.Errorf("update dispute: %w", mapErr(err))
	}
	return d, nil
}

// CloseDispute closes one of the seller's open disputes with an outcome.
func (s *Store) CloseDispute(ctx context.Context, q sqlx.ExtContext, sellerID, id, outcome string) (Dispute, error) {
	var d Dispute
	err := sqlx.GetContext(ctx, q, &d, `
		UPDATE disputes SET status = 'CLOSED', outcome = $3, closed_at = now(), updated_at = now()
		WHERE seller_id = $1 AND id = $2
		RETURNING `+disputeColumns, sellerID, id, outcome)
	if err != nil {
		return Dispute{}, fmt.Errorf("close dispute: %w", mapErr(err))
	}
	return d, nil
}

// Dispute returns one of the seller's disputes.
func (s *Store) Dispute(ctx context.Context, sellerID, id string) (Dispute, error) {
	var d Dispute
	err := s.db.GetContext(ctx, &d, `SELECT `+disputeColumns+` FROM disputes WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return Dispute{}, fmt.Errorf("dispute: %w", mapErr(err))
	}
	return d, nil
}

// DisputeForUpdate reads one of the seller's disputes and locks it until
// the transaction ends.
func (s *Store) DisputeForUpdate(ctx context.Context, q sqlx.QueryerContext, sellerID, id string) (Dispute, error) {
	var d Dispute
	err := sqlx.GetContext(ctx, q, &d, `SELECT `+disputeColumns+` FROM disputes
		WHERE seller_id = $1 AND id = $2 FOR UPDATE`, sellerID, id)
	if err != nil {
		return Dispute{}, fmt.Errorf("dispute: %w", mapErr(err))
	}
	return d, nil
}

// RecordPack notes on one of the seller's disputes that an evidence pack
// was generated at time at.
func (s *Store) RecordPack(ctx context.Context, sellerID, id string, at time.Time) (Dispute, error) {
	var d Dispute
	err := s.db.GetContext(ctx, &d, `
		UPDATE disputes SET packs_generated = packs_generated + 1,
			last_pack_generated_at = greatest(last_pack_generated_at, $3)
		WHERE seller_id = $1 AND id = $2
		RETURNING `+disputeColumns, sellerID, id, at)
	if err != nil {
		return Dispute{}, fmt.Errorf("record evidence pack: %w", mapErr(err))
	}
	return d, nil
}

// HoldChain locks a shipment's evidence chain, when it exists, against the
// retention job until the transaction ends: opening a dispute takes it so
// that the evidence cannot be purged under the new dispute.
func (s *Store) HoldChain(ctx context.Context, tx *sqlx.Tx, sellerID string, ref ChainRef) error {
	_, err := tx.ExecContext(ctx, `SELECT 1 FROM evidence_chains
		WHERE seller_id = $1 AND normalized_tracking_number = $2
			AND shipment_id IS NOT DISTINCT FROM nullif($3, '')::uuid
		FOR SHARE`, sellerID, ref.Number, ref.ShipmentID)
	if err != nil {
		return fmt.Errorf("hold evidence chain: %w", mapErr(err))
	}
	return nil
}

// DisputeFilter narrows a dispute list; zero fields do not filter.
type DisputeFilter struct {
	Statuses   []string
	Kinds      []string
	ShipmentID string
	RespondBy  *TimeRange
}

const disputeFilterSQL = `
	seller_id = $1
	AND ($2::text[] IS NULL OR status = ANY($2))
	AND ($3::text[] IS NULL OR kind = ANY($3))
	AND ($4::uuid IS NULL OR shipment_id = $4)
	AND ($5::timestamptz IS NULL OR respond_by >= $5) AND ($6::timestamptz IS NULL OR respond_by < $6)`

func (f DisputeFilter) params(sellerID string) []any {
	list := func(v []string) any {
		if len(v) == 0 {
			return nil
		}
		return pq.Array(v)
	}
	var shipmentID any
	if f.ShipmentID != "" {
		shipmentID = f.ShipmentID
	}
	from, to := f.RespondBy.params()
	return []any{sellerID, list(f.Statuses), list(f.Kinds), shipmentID, from, to}
}

// Disputes lists the seller's disputes, newest first, limit at a time
// after a cursor.
func (s *Store) Disputes(ctx context.Context, sellerID string, f DisputeFilter, limit int, after Cursor) (Page[Dispute], error) {
	at, aid := after.after()
	args := append(f.params(sellerID), at, aid, limit+1)
	rows := []Dispute{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+disputeColumns+` FROM disputes WHERE `+disputeFilterSQL+`
		AND ($7::timestamptz IS NULL OR (opened_at, id) < ($7, $8::uuid))
		ORDER BY opened_at DESC, id DESC LIMIT $9`, args...)
	if err != nil {
		return Page[Dispute]{}, fmt.Errorf("disputes: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(d Dispute) Cursor { return Cursor{Time: d.OpenedAt, ID: d.ID} }), nil
}

// CountDisputes counts the seller's disputes matching a filter.
func (s *Store) CountDisputes(ctx context.Context, sellerID string, f DisputeFilter) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM disputes WHERE `+disputeFilterSQL, f.params(sellerID)...)
	if err != nil {
		return 0, fmt.Errorf("count disputes: %w", mapErr(err))
	}
	return n, nil
}
