package shipment

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// Place is a postal code and a country: where a parcel leaves from.
type Place struct {
	PostalCode string
	Country    string
}

// Clean trims the place and upper-cases its country.
func (p Place) Clean() Place {
	return Place{PostalCode: strings.TrimSpace(p.PostalCode), Country: strings.ToUpper(strings.TrimSpace(p.Country))}
}

// Validate checks a cleaned place; field names the input it came from
// ("origin").
func (p Place) Validate(field string) *FieldError {
	switch {
	case utf8.RuneCountInString(p.PostalCode) > MaxPostalCodeLen:
		return &FieldError{field + ".postalCode", fmt.Sprintf("is longer than %d characters", MaxPostalCodeLen)}
	case p.Country != "" && !isAlpha2(p.Country):
		return &FieldError{field + ".country", clip.Quote(p.Country) + " is not an ISO 3166 alpha-2 country code"}
	}
	return nil
}
