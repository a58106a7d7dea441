package shipment

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on proof-of-delivery text.
const (
	MaxSignedByLen            = 200
	MaxLocationDescriptionLen = 500
	MaxCarrierReferenceLen    = 200
	// ClockSkew is how far in the future a delivery time may be, for the
	// clocks of a driver's handheld and of the server disagreeing.
	ClockSkew = 5 * time.Minute
)

// ProofInput is a proof of delivery a seller records for a shipment. The
// images are checked by the caller, which knows the size limit and sniffs
// their type from the bytes.
type ProofInput struct {
	ShipmentID  string
	DeliveredAt time.Time
	SignedBy    string
	// Latitude and Longitude are WGS 84 degrees, both or neither.
	Latitude            *float64
	Longitude           *float64
	LocationDescription string
	CarrierReference    string
	Photo               []byte
	Signature           []byte
}

// Clean trims the input's text fields.
func (in ProofInput) Clean() ProofInput {
	in.SignedBy = strings.TrimSpace(in.SignedBy)
	in.LocationDescription = strings.TrimSpace(in.LocationDescription)
	in.CarrierReference = strings.TrimSpace(in.CarrierReference)
	return in
}

// Validate checks a cleaned input at time now and returns the first
// problem, or nil. A proof must prove something: a signer, an image,
// coordinates, a place or the carrier's reference.
func (in ProofInput) Validate(now time.Time) *FieldError {
	switch {
	case in.DeliveredAt.IsZero():
		return &FieldError{"deliveredAt", "is required"}
	case in.DeliveredAt.After(now.Add(ClockSkew)):
		return &FieldError{"deliveredAt", "is in the future"}
	case utf8.RuneCountInString(in.SignedBy) > MaxSignedByLen:
		return &FieldError{"signedBy", fmt.Sprintf("is longer than %d characters", MaxSignedByLen)}
	case (in.Latitude == nil) != (in.Longitude == nil):
		return &FieldError{"location", "needs both latitude and longitude, or neither"}
	case in.Latitude != nil && (math.IsNaN(*in.Latitude) || *in.Latitude < -90 || *in.Latitude > 90):
		return &FieldError{"location.latitude", "must be between -90 and 90"}
	case in.Longitude != nil && (math.IsNaN(*in.Longitude) || *in.Longitude < -180 || *in.Longitude > 180):
		return &FieldError{"location.longitude", "must be between -180 and 180"}
	case utf8.RuneCountInString(in.LocationDescription) > MaxLocationDescriptionLen:
		return &FieldError{"location.description", fmt.Sprintf("is longer than %d characters", MaxLocationDescriptionLen)}
	case utf8.RuneCountInString(in.CarrierReference) > MaxCarrierReferenceLen:
		return &FieldError{"carrierReference", fmt.Sprintf("is longer than %d characters", MaxCarrierReferenceLen)}
	case in.SignedBy == "" && in.Photo == nil && in.Signature == nil && in.Latitude == nil &&
		in.LocationDescription == "" && in.CarrierReference == "":
		return &FieldError{"input", "records nothing: give a signer, a photo, a signature, a location or a carrier reference"}
	}
	return nil
}
