package store

import (
	"context"
	"fmt"
	"time"
)

// Sweep is one periodic run of the time-based rules.
type Sweep struct {
	Period     time.Time  `db:"period"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Raised     int        `db:"raised"`
	Resolved   int        `db:"resolved"`
}

// StartSweep records the start of the sweep of a period. started is false
// when that period was already swept to the end, by this process or
// another: the caller skips it.
func (s *Store) StartSweep(ctx context.Context, period time.Time) (started bool, err error) {
	var finished *time.Time
	err = s.db.GetContext(ctx, &finished, `
		INSERT INTO monitor_sweeps (period) VALUES ($1)
		ON CONFLICT (period) DO UPDATE SET started_at = CASE WHEN monitor_sweeps.finished_at IS NULL THEN now() ELSE monitor_sweeps.started_at END
		RETURNING finished_at`, period)
	if err != nil {
		return false, fmt.Errorf("start sweep: %w", mapErr(err))
	}
	return finished == nil, nil
}

// FinishSweep records the end of a period's sweep and forgets sweeps older
// than a week.
func (s *Store) FinishSweep(ctx context.Context, period time.Time, raised, resolved int) error {
	_, err := s.db.ExecContext(ctx, `
		WITH done AS (
			UPDATE monitor_sweeps SET finished_at = now(), raised = $2, resolved = $3 WHERE period = $1
		)
		DELETE FROM monitor_sweeps WHERE period < $1::timestamptz - interval '7 days'`, period, raised, resolved)
	if err != nil {
		return fmt.Errorf("finish sweep: %w", mapErr(err))
	}
	return nil
}

// Sweeps lists recorded sweeps, oldest first.
func (s *Store) Sweeps(ctx context.Context) ([]Sweep, error) {
	out := []Sweep{}
	if err := s.db.SelectContext(ctx, &out, `SELECT period, started_at, finished_at, raised, resolved FROM monitor_sweeps ORDER BY period`); err != nil {
		return nil, fmt.Errorf("sweeps: %w", mapErr(err))
	}
	return out, nil
}

// sweepLockKey is the advisory lock held while a sweep runs ("sweep").
const sweepLockKey = 0x7377656570

// WithSweepLock runs fn while holding the sweep's session advisory lock,
// so two sweeps never run at once even when one period's sweep outlasts
// the interval. ran is false when another sweep holds it.
func (s *Store) WithSweepLock(ctx context.Context, fn func() error) (ran bool, err error) {
	return s.withTryLock(ctx, sweepLockKey, "sweep lock", fn)
}

// withTryLock runs fn while holding the session advisory lock key, taken
// without waiting on a connection of its own; ran is false when another
// session holds it.
func (s *Store) withTryLock(ctx context.Context, key int64, what string, fn func() error) (ran bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck // released with the session anyway
	return true, fn()
}
