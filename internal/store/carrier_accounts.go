package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// CarrierAccount is a carrier_accounts row: a seller's own credentials for
// a carrier's tracking API, sealed; only the poller and the credentials
// test open them.
type CarrierAccount struct {
	ID                string     `db:"id"`
	SellerID          string     `db:"seller_id"`
	Carrier           string     `db:"carrier"`
	Environment       string     `db:"environment"`
	BaseURL           string     `db:"base_url"`
	ClientIDHint      string     `db:"client_id_hint"`
	CredentialsSealed []byte     `db:"credentials_sealed"`
	KeyID             string     `db:"key_id"`
	HourlyBudget      *int       `db:"hourly_budget"`
	DailyBudget       *int       `db:"daily_budget"`
	CreatedAt         time.Time  `db:"created_at"`
	DeletedAt         *time.Time `db:"deleted_at"`
	// Revision grows with every change (UpdateCarrierAccount): a cached
	// client of an older revision is stale.
	Revision  int        `db:"revision"`
	UpdatedAt *time.Time `db:"updated_at"`
}

const carrierAccountColumns = `id, seller_id, carrier, environment, base_url, client_id_hint, credentials_sealed, key_id,
	hourly_budget, daily_budget, created_at, deleted_at, revision, updated_at`

// NewCarrierAccount is an account to insert.
type NewCarrierAccount struct {
	Carrier, Environment, BaseURL, ClientIDHint string
	Sealed                                      []byte
	KeyID                                       string
	HourlyBudget, DailyBudget                   *int
}

// InsertCarrierAccount creates an account; a second live account for the
// same carrier is ErrConflict.
func (s *Store) InsertCarrierAccount(ctx context.Context, sellerID string, a NewCarrierAccount) (CarrierAccount, error) {
	var row CarrierAccount
	err := s.db.GetContext(ctx, &row, `
		INSERT INTO carrier_accounts (seller_id, carrier, environment, base_url, client_id_hint, credentials_sealed, key_id,
			hourly_budget, daily_budget)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+carrierAccountColumns,
		sellerID, a.Carrier, a.Environment, a.BaseURL, a.ClientIDHint, a.Sealed, a.KeyID, a.HourlyBudget, a.DailyBudget)
	if err != nil {
		return CarrierAccount{}, fmt.Errorf("insert carrier account: %w", mapErr(err))
	}
	return row, nil
}

// CarrierAccount returns one of the seller's live accounts.
func (s *Store) CarrierAccount(ctx context.Context, sellerID, id string) (CarrierAccount, error) {
	var row CarrierAccount
	err := s.db.GetContext(ctx, &row, `SELECT `+carrierAccountColumns+` FROM carrier_accounts
		WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL`, sellerID, id)
	if err != nil {
		return CarrierAccount{}, fmt.Errorf("carrier account: %w", mapErr(err))
	}
	return row, nil
}

// CarrierAccounts lists a seller's live accounts, newest first.
func (s *Store) CarrierAccounts(ctx context.Context, sellerID string, limit int, after Cursor) (Page[CarrierAccount], error) {
	at, aid := after.after()
	rows := []CarrierAccount{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+carrierAccountColumns+` FROM carrier_accounts
		WHERE seller_id = $1 AND deleted_at IS NULL
			AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, at, aid, limit+1)
	if err != nil {
		return Page[CarrierAccount]{}, fmt.Errorf("carrier accounts: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(a CarrierAccount) Cursor { return Cursor{Time: a.CreatedAt, ID: a.ID} }), nil
}

// DeleteCarrierAccount stops polling with an account and erases its
// credentials; its poll schedule goes with it. Events it brought stay.
func (s *Store) DeleteCarrierAccount(ctx context.Context, sellerID, id string) (CarrierAccount, error) {
	var row CarrierAccount
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &row, `
			UPDATE carrier_accounts SET deleted_at = now(), credentials_sealed = NULL
			WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
			RETURNING `+carrierAccountColumns, sellerID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM carrier_polls WHERE seller_id = $1 AND account_id = $2`, sellerID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM source_health WHERE seller_id = $1 AND source_id = $2`, sellerID, id)
		return err
	})
	if err != nil {
		return CarrierAccount{}, fmt.Errorf("delete carrier account: %w", mapErr(err))
	}
	return row, nil
}

// CarrierAccountChange is a change to an account; nil or false fields
// change nothing.
type CarrierAccountChange struct {
	// Endpoint: Environment and BaseURL replace the account's.
	Endpoint             bool
	Environment, BaseURL string
	// Sealed, with KeyID and ClientIDHint, replaces the credentials.
	Sealed              []byte
	KeyID, ClientIDHint string
	HourlyBudget        *int
	DailyBudget         *int
	// DefaultBudgets clears the seller's budgets (the defaults apply).
	DefaultBudgets bool
	// Resume clears the account's back-off and makes the shipments it
	// left for after it due now.
	Resume bool
	At     time.Time
}

// UpdateCarrierAccount applies a change to one of the seller's live
// accounts and bumps its revision, in one transaction with the resume.
// The events it brought, its schedule, usage and health stay.
func (s *Store) UpdateCarrierAccount(ctx context.Context, sellerID, id string, c CarrierAccountChange) (CarrierAccount, error) {
	var row CarrierAccount
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &row, `
			UPDATE carrier_accounts SET
				environment = CASE WHEN $3 THEN $4 ELSE environment END,
				base_url = CASE WHEN $3 THEN $5 ELSE base_url END,
				credentials_sealed = coalesce($6, credentials_sealed),
				key_id = CASE WHEN $6::bytea IS NULL THEN key_id ELSE $7 END,
				client_id_hint = CASE WHEN $6::bytea IS NULL THEN client_id_hint ELSE $8 END,
				hourly_budget = CASE WHEN $11 THEN NULL ELSE coalesce($9, hourly_budget) END,
				daily_budget = CASE WHEN $11 THEN NULL ELSE coalesce($10, daily_budget) END,
				revision = revision + 1, updated_at = $12
			WHERE seller_id = $1 AND id = $2 AND deleted_at IS NULL
			RETURNING `+carrierAccountColumns,
			sellerID, id, c.Endpoint, c.Environment, c.BaseURL, c.Sealed, c.KeyID, c.ClientIDHint,
			c.HourlyBudget, c.DailyBudget, c.DefaultBudgets, c.At); err != nil {
			return err
		}
		if !c.Resume {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE source_health SET retry_at = NULL, updated_at = $3
			WHERE seller_id = $1 AND source_id = $2 AND retry_at IS NOT NULL`, sellerID, id, c.At); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE carrier_polls SET next_poll_at = $3
			WHERE seller_id = $1 AND account_id = $2 AND last_result = 'ERROR' AND next_poll_at > $3`, sellerID, id, c.At)
		return err
	})
	if err != nil {
		return CarrierAccount{}, fmt.Errorf("update carrier account: %w", mapErr(err))
	}
	return row, nil
}

// PollableAccounts lists every seller's live accounts, for the periodic
// job that schedules polls. Like the sweep, it spans sellers: each account
// is then worked in its own seller's scope.
func (s *Store) PollableAccounts(ctx context.Context) ([]CarrierAccount, error) {
	rows := []CarrierAccount{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+carrierAccountColumns+` FROM carrier_accounts
		WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("pollable accounts: %w", mapErr(err))
	}
	return rows, nil
}

// ReserveRequests takes n requests from an account's hourly and daily
// budgets, for the periods containing now, in one transaction shared by
// every replica; false (and nothing taken) when either would go over.
func (s *Store) ReserveRequests(ctx context.Context, sellerID, accountID string, n int, now time.Time, hourly, daily int) (bool, error) {
	ok := false
	err := s.Transact(ctx, func(tx *sqlx.Tx) error {
		for _, p := range []struct {
			name  string
			start time.Time
			limit int
		}{{"hour", now.UTC().Truncate(time.Hour), hourly}, {"day", now.UTC().Truncate(24 * time.Hour), daily}} {
			var got []int
			err := tx.SelectContext(ctx, &got, `
				INSERT INTO carrier_usage (account_id, period, period_start, requests)
				SELECT a.id, $3::text, $4::timestamptz, $5::integer FROM carrier_accounts a WHERE a.seller_id = $1 AND a.id = $2 AND $5::integer <= $6::integer
				ON CONFLICT (account_id, period, period_start) DO UPDATE SET requests = carrier_usage.requests + $5
					WHERE carrier_usage.requests + $5::integer <= $6::integer
				RETURNING requests`, sellerID, accountID, p.name, p.start, n, p.limit)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				ok = false
				return errBudget
			}
		}
		ok = true
		return nil
	})
	if errors.Is(err, errBudget) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reserve requests: %w", mapErr(err))
	}
	return ok, nil
}

var errBudget = errors.New("budget spent")

// RequestsUsed returns how many requests an account has reserved in the
// hour and the day containing now.
func (s *Store) RequestsUsed(ctx context.Context, sellerID, accountID string, now time.Time) (hour, day int, err error) {
	var u struct {
		Hour int `db:"hour"`
		Day  int `db:"day"`
	}
	err = s.db.GetContext(ctx, &u, `
		SELECT coalesce(sum(requests) FILTER (WHERE period = 'hour' AND period_start = $3), 0) AS hour,
			coalesce(sum(requests) FILTER (WHERE period = 'day' AND period_start = $4), 0) AS day
		FROM carrier_usage u JOIN carrier_accounts a ON a.id = u.account_id
		WHERE a.seller_id = $1 AND u.account_id = $2`, sellerID, accountID, now.UTC().Truncate(time.Hour), now.UTC().Truncate(24*time.Hour))
	if err != nil {
		return 0, 0, fmt.Errorf("requests used: %w", mapErr(err))
	}
	return u.Hour, u.Day, nil
}
