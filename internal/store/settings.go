package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// SellerSettings are a seller's monitoring thresholds and time zone.
type SellerSettings struct {
	// TimeZone is an IANA zone: promised dates are days in it.
	TimeZone string `db:"time_zone"`
	// InactiveTrackingHours is how long after shipping a parcel may go
	// without a carrier scan before INACTIVE_TRACKING.
	InactiveTrackingHours int `db:"inactive_tracking_hours"`
	// StalledDays is how long a moving parcel may go without an event
	// before STALLED.
	StalledDays int `db:"stalled_days"`
	// OriginPostalCode and OriginCountry are where the seller's parcels
	// leave from unless a shipment says otherwise ("" when unknown).
	OriginPostalCode string `db:"origin_postal_code"`
	OriginCountry    string `db:"origin_country"`
	// DeliveryRiskThreshold is the probability of missing deliverBy above
	// which DELIVERY_AT_RISK is raised.
	DeliveryRiskThreshold float64 `db:"delivery_risk_threshold"`
}

const settingsColumns = `time_zone, inactive_tracking_hours, stalled_days, origin_postal_code, origin_country, delivery_risk_threshold`

// SellerSettings returns a seller's settings.
func (s *Store) SellerSettings(ctx context.Context, sellerID string) (SellerSettings, error) {
	return s.SellerSettingsIn(ctx, s.db, sellerID)
}

// SellerSettingsIn is SellerSettings read through q: a transaction reads
// through itself, never through a second connection of the pool (holding
// one while waiting for another exhausts the pool under load).
func (s *Store) SellerSettingsIn(ctx context.Context, q sqlx.QueryerContext, sellerID string) (SellerSettings, error) {
	var out SellerSettings
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+settingsColumns+` FROM sellers WHERE id = $1`, sellerID)
	if err != nil {
		return SellerSettings{}, fmt.Errorf("seller settings: %w", mapErr(err))
	}
	return out, nil
}

// UpdateSellerSettings replaces a seller's settings.
func (s *Store) UpdateSellerSettings(ctx context.Context, q sqlx.ExtContext, sellerID string, in SellerSettings) (SellerSettings, error) {
	var out SellerSettings
	err := sqlx.GetContext(ctx, q, &out, `
		UPDATE sellers SET time_zone = $2, inactive_tracking_hours = $3, stalled_days = $4,
			origin_postal_code = $5, origin_country = $6, delivery_risk_threshold = $7 WHERE id = $1
		RETURNING `+settingsColumns,
		sellerID, in.TimeZone, in.InactiveTrackingHours, in.StalledDays, in.OriginPostalCode, in.OriginCountry, in.DeliveryRiskThreshold)
	if err != nil {
		return SellerSettings{}, fmt.Errorf("update seller settings: %w", mapErr(err))
	}
	return out, nil
}

// KnownTimeZone reports whether PostgreSQL knows the IANA zone name: the
// rules convert times with it, so an unknown one would fail every sweep.
func (s *Store) KnownTimeZone(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)`, name)
	if err != nil {
		return false, fmt.Errorf("time zone: %w", err)
	}
	return ok, nil
}
