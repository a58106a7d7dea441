package monitor

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// SettingsChange is a change to a seller's settings; nil fields are kept.
type SettingsChange struct {
	TimeZone              *string
	InactiveTrackingHours *int
	StalledDays           *int
	// Origin replaces the default origin; an empty postal code clears it.
	Origin                *shipment.Place
	DeliveryRiskThreshold *float64
}

// Bounds of the thresholds (also CHECK constraints of migration 0004).
const (
	MaxInactiveTrackingHours = 720
	MaxStalledDays           = 90
)

// UpdateSellerSettings changes a seller's thresholds or time zone and, in
// the same transaction, enqueues a check of every rule on all the seller's
// shipments: flags follow the new thresholds at once, not at the next
// sweep.
func (s *Service) UpdateSellerSettings(ctx context.Context, sellerID string, ch SettingsChange) (store.SellerSettings, error) {
	cur, err := s.store.SellerSettings(ctx, sellerID)
	if err != nil {
		return store.SellerSettings{}, err
	}
	if ch.TimeZone != nil {
		ok, err := s.store.KnownTimeZone(ctx, *ch.TimeZone)
		if err != nil {
			return store.SellerSettings{}, err
		}
		if !ok {
			return store.SellerSettings{}, &shipment.FieldError{Field: "timeZone", Message: clip.Quote(*ch.TimeZone) + " is not an IANA time zone such as Europe/Paris"}
		}
		cur.TimeZone = *ch.TimeZone
	}
	if h := ch.InactiveTrackingHours; h != nil {
		if *h < 1 || *h > MaxInactiveTrackingHours {
			return store.SellerSettings{}, &shipment.FieldError{Field: "inactiveTrackingHours", Message: fmt.Sprintf("must be between 1 and %d", MaxInactiveTrackingHours)}
		}
		cur.InactiveTrackingHours = *h
	}
	if d := ch.StalledDays; d != nil {
		if *d < 1 || *d > MaxStalledDays {
			return store.SellerSettings{}, &shipment.FieldError{Field: "stalledDays", Message: fmt.Sprintf("must be between 1 and %d", MaxStalledDays)}
		}
		cur.StalledDays = *d
	}
	if o := ch.Origin; o != nil {
		c := o.Clean()
		if ferr := c.Validate("origin"); ferr != nil {
			return store.SellerSettings{}, ferr
		}
		cur.OriginPostalCode, cur.OriginCountry = c.PostalCode, c.Country
	}
	if p := ch.DeliveryRiskThreshold; p != nil {
		if !(*p > 0 && *p < 1) {
			return store.SellerSettings{}, &shipment.FieldError{Field: "deliveryRiskThreshold", Message: "must be above 0 and below 1"}
		}
		cur.DeliveryRiskThreshold = *p
	}
	var out store.SellerSettings
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if out, err = s.store.UpdateSellerSettings(ctx, tx, sellerID, cur); err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx.Tx, jobs.CheckArgs{SellerID: sellerID, All: true}, nil); err != nil {
			return fmt.Errorf("enqueue check: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.SellerSettings{}, fmt.Errorf("update seller settings: %w", err)
	}
	return out, nil
}
