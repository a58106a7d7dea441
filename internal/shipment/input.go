package shipment

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// Input is what a seller states about a shipment when creating or
// replacing it.
type Input struct {
	OrderID        string
	Carrier        string
	TrackingNumber string
	Service        string
	ShipBy         *time.Time
	ShippedAt      *time.Time
	DeliverBy      *time.Time
	PostalCode     string
	Country        string
	// Origin is where the parcel leaves from; empty for the seller's
	// default.
	Origin Place
}

// FieldError is bad input in one field, named as the API spells it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Limits on seller-given text, so one bad row cannot bloat the store.
const (
	MaxOrderIDLen        = 200
	MaxTrackingNumberLen = 64
	MaxServiceLen        = 100
	MaxPostalCodeLen     = 20
)

// Clean trims the input's text fields and upper-cases the country.
func (in Input) Clean() Input {
	in.OrderID = strings.TrimSpace(in.OrderID)
	in.Carrier = strings.TrimSpace(in.Carrier)
	in.TrackingNumber = strings.TrimSpace(in.TrackingNumber)
	in.Service = strings.TrimSpace(in.Service)
	in.PostalCode = strings.TrimSpace(in.PostalCode)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Origin = in.Origin.Clean()
	return in
}

// Validate checks a cleaned input and returns the first problem found, or
// nil. Carrier names are checked by the caller, which knows the aliases.
func (in Input) Validate() *FieldError {
	switch {
	case in.OrderID == "":
		return &FieldError{"orderId", "is required"}
	case utf8.RuneCountInString(in.OrderID) > MaxOrderIDLen:
		return &FieldError{"orderId", fmt.Sprintf("is longer than %d characters", MaxOrderIDLen)}
	case len(in.TrackingNumber) > MaxTrackingNumberLen:
		return &FieldError{"trackingNumber", fmt.Sprintf("is longer than %d characters", MaxTrackingNumberLen)}
	case utf8.RuneCountInString(in.Service) > MaxServiceLen:
		return &FieldError{"service", fmt.Sprintf("is longer than %d characters", MaxServiceLen)}
	case utf8.RuneCountInString(in.PostalCode) > MaxPostalCodeLen:
		return &FieldError{"destination.postalCode", fmt.Sprintf("is longer than %d characters", MaxPostalCodeLen)}
	case in.Country != "" && !isAlpha2(in.Country):
		return &FieldError{"destination.country", clip.Quote(in.Country) + " is not an ISO 3166 alpha-2 country code"}
	case in.ShipBy != nil && in.DeliverBy != nil && in.DeliverBy.Before(*in.ShipBy):
		return &FieldError{"deliverBy", "is before shipBy"}
	}
	return in.Origin.Validate("origin")
}

func isAlpha2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
