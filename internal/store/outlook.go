package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// OutlookState is the last projection the outlook job made of one of a
// seller's standards over one window, and the account flag of its current
// crossing (migration 0070).
type OutlookState struct {
	SellerID      string    `db:"seller_id"`
	Marketplace   string    `db:"marketplace"`
	Metric        string    `db:"metric"`
	WindowDays    int       `db:"window_days"`
	Status        string    `db:"status"`
	CurrentStatus string    `db:"current_status"`
	Rate          *float64  `db:"rate"`
	EvaluatedAt   time.Time `db:"evaluated_at"`
	ComputedAt    time.Time `db:"computed_at"`
	FlagID        *string   `db:"flag_id"`
}

// AccountFlag is an account flag to raise: its subject and message, and
// the index of the OutlookState that will hold its id.
type AccountFlag struct {
	Subject, Message string
	State            int
}

// OutlookChanges is what one run of the outlook job changes for one
// seller and marketplace: the states to save, the flags to raise (kind
// and severity given) and the ids of the flags to resolve.
type OutlookChanges struct {
	States   []OutlookState
	Kind     flag.Kind
	Severity flag.Severity
	Raise    []AccountFlag
	Resolve  []string
}

const outlookColumns = `seller_id, marketplace, metric, window_days, status, current_status, rate, evaluated_at, computed_at, flag_id::text AS flag_id`

// LockOutlook reads the seller's outlook rows of a marketplace and locks
// them, in key order, until the transaction ends.
func (s *Store) LockOutlook(ctx context.Context, tx *sqlx.Tx, sellerID, marketplace string) ([]OutlookState, error) {
	out := []OutlookState{}
	err := tx.SelectContext(ctx, &out, `SELECT `+outlookColumns+` FROM health_outlook
		WHERE seller_id = $1 AND marketplace = $2 ORDER BY metric, window_days FOR UPDATE`, sellerID, marketplace)
	if err != nil {
		return nil, fmt.Errorf("lock outlook: %w", mapErr(err))
	}
	return out, nil
}

// Outlook reads the seller's outlook rows of a marketplace.
func (s *Store) Outlook(ctx context.Context, sellerID, marketplace string) ([]OutlookState, error) {
	out := []OutlookState{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+outlookColumns+` FROM health_outlook
		WHERE seller_id = $1 AND marketplace = $2 ORDER BY metric, window_days`, sellerID, marketplace)
	if err != nil {
		return nil, fmt.Errorf("outlook: %w", mapErr(err))
	}
	return out, nil
}

// SaveOutlook writes the seller's states, in key order, in one statement.
func (s *Store) SaveOutlook(ctx context.Context, tx *sqlx.Tx, sellerID string, states []OutlookState) error {
	if len(states) == 0 {
		return nil
	}
	n := len(states)
	mk, me, w, st, cur := make([]string, n), make([]string, n), make([]int64, n), make([]string, n), make([]string, n)
	rate, eval, comp, fl := make([]*float64, n), make([]time.Time, n), make([]time.Time, n), make([]*string, n)
	for i, o := range states {
		mk[i], me[i], w[i], st[i], cur[i] = o.Marketplace, o.Metric, int64(o.WindowDays), o.Status, o.CurrentStatus
		rate[i], eval[i], comp[i], fl[i] = o.Rate, o.EvaluatedAt, o.ComputedAt, o.FlagID
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO health_outlook (seller_id, marketplace, metric, window_days, status, current_status, rate, evaluated_at, computed_at, flag_id)
		SELECT $1, u.mk, u.me, u.w, u.st, u.cur, u.rate, u.eval, u.comp, u.fl
		FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::float8[], $8::timestamptz[], $9::timestamptz[], $10::uuid[])
			AS u(mk, me, w, st, cur, rate, eval, comp, fl)
		ORDER BY u.mk, u.me, u.w
		ON CONFLICT (seller_id, marketplace, metric, window_days) DO UPDATE SET status = EXCLUDED.status,
			current_status = EXCLUDED.current_status, rate = EXCLUDED.rate, evaluated_at = EXCLUDED.evaluated_at,
			computed_at = EXCLUDED.computed_at, flag_id = EXCLUDED.flag_id`,
		sellerID, pq.Array(mk), pq.Array(me), pq.Array(w), pq.Array(st), pq.Array(cur), pq.Array(rate),
		pq.Array(eval), pq.Array(comp), pq.Array(fl))
	if err != nil {
		return fmt.Errorf("save outlook: %w", mapErr(err))
	}
	return nil
}

// RaiseAccountFlags opens account flags of one kind on the seller, at at,
// and returns those it opened. An account flag names its seller twice: in
// account_seller_id too, which references the seller (migration 0150). A subject that already has an open flag of
// the kind keeps it (flags_account_open_once) and is not returned.
func (s *Store) RaiseAccountFlags(ctx context.Context, tx *sqlx.Tx, sellerID string, kind flag.Kind, sev flag.Severity, fs []AccountFlag, at time.Time) ([]flag.Flag, error) {
	out := []flag.Flag{}
	if len(fs) == 0 {
		return out, nil
	}
	subjects, messages := make([]string, len(fs)), make([]string, len(fs))
	for i, f := range fs {
		subjects[i], messages[i] = f.Subject, f.Message
	}
	err := tx.SelectContext(ctx, &out, `
		WITH raised AS (
			INSERT INTO flags (seller_id, account_seller_id, shipment_id, subject, kind, severity, message, raised_at)
			SELECT $1, $1, NULL, u.subject, $2, $3, u.message, $4
			FROM unnest($5::text[], $6::text[]) AS u(subject, message)
			ON CONFLICT (seller_id, kind, subject) WHERE resolved_at IS NULL AND shipment_id IS NULL DO NOTHING
			RETURNING *)
		SELECT `+flagColumns+` FROM raised ORDER BY subject`,
		sellerID, kind, sev, at, pq.Array(subjects), pq.Array(messages))
	if err != nil {
		return nil, fmt.Errorf("raise account flags: %w", mapErr(err))
	}
	return out, nil
}

// OpenAccountFlags returns the seller's open account flags of a kind on
// the given subjects.
func (s *Store) OpenAccountFlags(ctx context.Context, q sqlx.QueryerContext, sellerID string, kind flag.Kind, subjects []string) ([]flag.Flag, error) {
	out := []flag.Flag{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+flagColumns+` FROM flags
		WHERE seller_id = $1 AND kind = $2 AND subject = ANY($3::text[]) AND resolved_at IS NULL AND shipment_id IS NULL`,
		sellerID, kind, pq.Array(subjects))
	if err != nil {
		return nil, fmt.Errorf("open account flags: %w", mapErr(err))
	}
	return out, nil
}

// ResolveAccountFlags resolves (AUTO, at at) those of the seller's open
// account flags with the given ids, and returns them.
func (s *Store) ResolveAccountFlags(ctx context.Context, tx *sqlx.Tx, sellerID string, ids []string, at time.Time) ([]flag.Flag, error) {
	out := []flag.Flag{}
	if len(ids) == 0 {
		return out, nil
	}
	err := tx.SelectContext(ctx, &out, `
		WITH resolved AS (
			UPDATE flags SET resolved_at = $3, resolution = 'AUTO'
			WHERE seller_id = $1 AND id = ANY($2::uuid[]) AND shipment_id IS NULL AND resolved_at IS NULL
			RETURNING *)
		SELECT `+flagColumns+` FROM resolved ORDER BY subject`, sellerID, pq.Array(ids), at)
	if err != nil {
		return nil, fmt.Errorf("resolve account flags: %w", mapErr(err))
	}
	return out, nil
}

// OutlookDue returns up to limit sellers the outlook job has not run
// since `since`, the longest waiting first (never run before all).
func (s *Store) OutlookDue(ctx context.Context, since time.Time, limit int) ([]string, error) {
	out := []string{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT se.id FROM sellers se LEFT JOIN health_outlook_runs r ON r.seller_id = se.id
		WHERE r.ran_at IS NULL OR r.ran_at < $1
		ORDER BY r.ran_at NULLS FIRST, se.id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("outlook due: %w", mapErr(err))
	}
	return out, nil
}

// RecordOutlookRun notes that the outlook job ran the seller at at. A
// skipped seller (unchanged) keeps its projected_at; otherwise projectedAt
// is when its projection started, nil when the projection failed (so the
// next period projects it again).
func (s *Store) RecordOutlookRun(ctx context.Context, sellerID string, at time.Time, skipped bool, projectedAt *time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO health_outlook_runs (seller_id, ran_at, projected_at) VALUES ($1, $2, $4)
		ON CONFLICT (seller_id) DO UPDATE SET ran_at = EXCLUDED.ran_at,
			projected_at = CASE WHEN $3 THEN health_outlook_runs.projected_at ELSE EXCLUDED.projected_at END`,
		sellerID, at, skipped, projectedAt)
	if err != nil {
		return fmt.Errorf("record outlook run: %w", mapErr(err))
	}
	return nil
}

// OutlookChanged returns when the outlook job last projected the seller
// (nil: never) and whether the seller's shipments, disputes or settings
// were written since then, less slack (seller_changes, migration 0140).
// slack covers a transaction that wrote before the projection started and
// committed after the projection's snapshot. It reads the primary keys of
// health_outlook_runs and seller_changes only: no shipment is read.
func (s *Store) OutlookChanged(ctx context.Context, sellerID string, slack time.Duration) (projectedAt *time.Time, changed bool, err error) {
	var row struct {
		ProjectedAt *time.Time `db:"projected_at"`
		Changed     bool       `db:"changed"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT r.projected_at, EXISTS (SELECT 1 FROM seller_changes c
			WHERE c.seller_id = $1 AND c.at >= r.projected_at - make_interval(secs => $2)) AS changed
		FROM (SELECT $1::uuid AS seller_id) AS se
		LEFT JOIN health_outlook_runs r ON r.seller_id = se.seller_id`, sellerID, slack.Seconds())
	if err != nil {
		return nil, false, fmt.Errorf("outlook changed: %w", mapErr(err))
	}
	return row.ProjectedAt, row.Changed, nil
}

// PruneSellerChanges deletes the notes of writes older than before that
// no transaction holds: a transaction writing one now keeps it, and the
// prune never waits for it.
func (s *Store) PruneSellerChanges(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM seller_changes WHERE (seller_id, backend) IN (
		SELECT seller_id, backend FROM seller_changes WHERE at < $1 FOR UPDATE SKIP LOCKED)`, before)
	if err != nil {
		return fmt.Errorf("prune seller changes: %w", mapErr(err))
	}
	return nil
}

// outlookLockKey is the advisory lock held while the outlook job projects
// sellers ("outlook"): one seller's forecast at a time across replicas.
const outlookLockKey = 0x6f75746c6f6f6b

// WithOutlookLock runs fn while holding the outlook job's session advisory
// lock. ran is false when another process holds it.
func (s *Store) WithOutlookLock(ctx context.Context, fn func() error) (ran bool, err error) {
	return s.withTryLock(ctx, outlookLockKey, "outlook lock", fn)
}
