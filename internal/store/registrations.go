package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The states of a tracking registration (tracking_registrations.state).
const (
	RegistrationPending    = "PENDING"
	RegistrationRegistered = "REGISTERED"
	RegistrationRejected   = "REJECTED"
	RegistrationStopped    = "STOPPED"
)

// Registration is a tracking_registrations row: one number of one source
// to register with the provider, and what came of it.
type Registration struct {
	ID                       int64      `db:"id"`
	SellerID                 string     `db:"seller_id"`
	SourceID                 string     `db:"source_id"`
	NormalizedTrackingNumber string     `db:"normalized_tracking_number"`
	State                    string     `db:"state"`
	Attempts                 int        `db:"attempts"`
	ErrorCode                *int       `db:"error_code"`
	ErrorMessage             *string    `db:"error_message"`
	LeasedUntil              *time.Time `db:"leased_until"`
	CreatedAt                time.Time  `db:"created_at"`
	UpdatedAt                time.Time  `db:"updated_at"`
}

const registrationColumns = `id, seller_id, source_id, normalized_tracking_number, state, attempts,
	error_code, error_message, leased_until, created_at, updated_at`

// QueueRegistrations queues the numbers for registration with each of the
// seller's live sources that registers uploads (auto_register), and
// returns the ids of the sources that got new rows. A number already
// queued or registered with a source is left alone. For a seller without
// such a source it is one index probe.
func (s *Store) QueueRegistrations(ctx context.Context, q sqlx.ExtContext, sellerID string, numbers []string) ([]string, error) {
	ids := []string{}
	if len(numbers) == 0 {
		return ids, nil
	}
	err := sqlx.SelectContext(ctx, q, &ids, `
		WITH src AS (
			SELECT id FROM tracking_sources
			WHERE seller_id = $1 AND deleted_at IS NULL AND auto_register
		), queued AS (
			INSERT INTO tracking_registrations (seller_id, source_id, normalized_tracking_number)
			SELECT $1, src.id, n FROM src CROSS JOIN (SELECT DISTINCT n FROM unnest($2::text[]) AS n WHERE n <> '') ns
			ORDER BY src.id, n
			ON CONFLICT (source_id, normalized_tracking_number) DO NOTHING
			RETURNING source_id
		)
		SELECT DISTINCT source_id FROM queued ORDER BY source_id`, sellerID, pq.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("queue registrations: %w", mapErr(err))
	}
	return ids, nil
}

// ClaimRegistrations leases up to limit of a source's pending numbers,
// oldest first, until now+lease: a job that dies mid-call leaves them to
// the next job after that. Rows another job holds are skipped.
func (s *Store) ClaimRegistrations(ctx context.Context, sellerID, sourceID string, limit int, lease time.Duration) ([]Registration, error) {
	rows := []Registration{}
	err := s.db.SelectContext(ctx, &rows, `
		UPDATE tracking_registrations r SET leased_until = now() + $4 * interval '1 microsecond',
			attempts = r.attempts + 1, updated_at = now()
		WHERE r.id IN (
			SELECT id FROM tracking_registrations
			WHERE seller_id = $1 AND source_id = $2 AND state = 'PENDING'
				AND (leased_until IS NULL OR leased_until < now())
			ORDER BY id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+registrationColumns, sellerID, sourceID, limit, lease.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("claim registrations: %w", mapErr(err))
	}
	return rows, nil
}

// RegistrationOutcome is what the provider answered for one number.
type RegistrationOutcome struct {
	ID    int64
	State string
	Code  *int
	// Message is the provider's reason, for a rejection.
	Message string
}

// SaveRegistrations records the provider's answers and ends the leases.
// An outcome in state PENDING only releases its row, for a later attempt.
func (s *Store) SaveRegistrations(ctx context.Context, sellerID, sourceID string, outs []RegistrationOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	ids, states, codes, messages := make([]int64, len(outs)), make([]string, len(outs)), make([]*int64, len(outs)), make([]*string, len(outs))
	for i, o := range outs {
		ids[i], states[i] = o.ID, o.State
		if o.Code != nil {
			c := int64(*o.Code)
			codes[i] = &c
		}
		if o.Message != "" {
			m := o.Message
			messages[i] = &m
		}
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE tracking_registrations r SET state = o.state, error_code = o.code,
			error_message = left(o.message, 500), leased_until = NULL, updated_at = now()
		FROM unnest($3::bigint[], $4::text[], $5::integer[], $6::text[]) AS o(id, state, code, message)
		WHERE r.seller_id = $1 AND r.source_id = $2 AND r.id = o.id`,
		sellerID, sourceID, pq.Array(ids), pq.Array(states), pq.Array(codes), pq.Array(messages))
	if err != nil {
		return fmt.Errorf("save registrations: %w", mapErr(err))
	}
	return nil
}

// StopRegistration records that the provider stopped tracking a number of
// the source (17TRACK's TRACKING_STOPPED), registered through Shipwatch or
// not.
func (s *Store) StopRegistration(ctx context.Context, q sqlx.ExtContext, sellerID, sourceID, number string) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO tracking_registrations (seller_id, source_id, normalized_tracking_number, state)
		VALUES ($1, $2, $3, 'STOPPED')
		ON CONFLICT (source_id, normalized_tracking_number)
		DO UPDATE SET state = 'STOPPED', leased_until = NULL, updated_at = now()
		WHERE tracking_registrations.seller_id = $1`, sellerID, sourceID, number)
	if err != nil {
		return fmt.Errorf("stop registration: %w", mapErr(err))
	}
	return nil
}

// RegistrationCounts is how many of a source's numbers are in each state.
type RegistrationCounts struct {
	Pending    int `db:"pending"`
	Registered int `db:"registered"`
	Rejected   int `db:"rejected"`
	Stopped    int `db:"stopped"`
}

// CountRegistrations counts a source's numbers by state.
func (s *Store) CountRegistrations(ctx context.Context, sellerID, sourceID string) (RegistrationCounts, error) {
	var c RegistrationCounts
	err := s.db.GetContext(ctx, &c, `
		SELECT count(*) FILTER (WHERE state = 'PENDING') AS pending,
			count(*) FILTER (WHERE state = 'REGISTERED') AS registered,
			count(*) FILTER (WHERE state = 'REJECTED') AS rejected,
			count(*) FILTER (WHERE state = 'STOPPED') AS stopped
		FROM tracking_registrations WHERE seller_id = $1 AND source_id = $2`, sellerID, sourceID)
	if err != nil {
		return RegistrationCounts{}, fmt.Errorf("count registrations: %w", mapErr(err))
	}
	return c, nil
}

// RejectedRegistrations lists up to limit of a source's rejected numbers,
// most recent first.
func (s *Store) RejectedRegistrations(ctx context.Context, sellerID, sourceID string, limit int) ([]Registration, error) {
	rows := []Registration{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+registrationColumns+` FROM tracking_registrations
		WHERE seller_id = $1 AND source_id = $2 AND state = 'REJECTED'
		ORDER BY updated_at DESC, id DESC LIMIT $3`, sellerID, sourceID, limit)
	if err != nil {
		return nil, fmt.Errorf("rejected registrations: %w", mapErr(err))
	}
	return rows, nil
}
