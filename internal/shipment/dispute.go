package shipment

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// DisputeKind is what a buyer's complaint is. The values are the GraphQL
// enum values and what the database stores.
type DisputeKind string

// The kinds of dispute.
const (
	DisputeNotReceived DisputeKind = "NOT_RECEIVED"
	DisputeAToZClaim   DisputeKind = "A_TO_Z_CLAIM"
	DisputeChargeback  DisputeKind = "CHARGEBACK"
	DisputeDamaged     DisputeKind = "DAMAGED"
	DisputeOther       DisputeKind = "OTHER"
)

// Valid reports whether k is a known dispute kind.
func (k DisputeKind) Valid() bool {
	switch k {
	case DisputeNotReceived, DisputeAToZClaim, DisputeChargeback, DisputeDamaged, DisputeOther:
		return true
	}
	return false
}

// Label names the kind as the marketplaces and card networks write it:
// Amazon's "A-to-z claim", a "chargeback".
func (k DisputeKind) Label() string {
	switch k {
	case DisputeNotReceived:
		return "Not-received dispute"
	case DisputeAToZClaim:
		return "A-to-z claim"
	case DisputeChargeback:
		return "Chargeback"
	case DisputeDamaged:
		return "Damage dispute"
	case DisputeOther:
		return "Dispute"
	}
	return string(k)
}

// DisputeOutcome is how a closed dispute ended.
type DisputeOutcome string

// The outcomes of a dispute.
const (
	OutcomeWon       DisputeOutcome = "WON"
	OutcomeLost      DisputeOutcome = "LOST"
	OutcomeWithdrawn DisputeOutcome = "WITHDRAWN"
)

// Valid reports whether o is a known outcome.
func (o DisputeOutcome) Valid() bool {
	return o == OutcomeWon || o == OutcomeLost || o == OutcomeWithdrawn
}

// Limits on dispute text.
const (
	MaxExternalReferenceLen = 200
	MaxNoteLen              = 5000
)

// DisputeInput is what a seller states about a dispute.
type DisputeInput struct {
	Kind DisputeKind
	// ExternalReference is the marketplace's claim id or the card
	// network's case number.
	ExternalReference string
	RespondBy         *time.Time
	// Amount is a decimal such as "49.99", "" when not given.
	Amount   string
	Currency string
	Note     string
}

// amountPattern is a non-negative decimal with at most 4 decimals (enough
// for every ISO 4217 currency) and 15 digits before the point.
var amountPattern = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,4})?$`)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// Clean trims the input's text, upper-cases the currency and writes the
// amount without leading zeros.
func (in DisputeInput) Clean() DisputeInput {
	in.ExternalReference = strings.TrimSpace(in.ExternalReference)
	in.Amount = strings.TrimSpace(in.Amount)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.Note = strings.TrimSpace(in.Note)
	if amountPattern.MatchString(in.Amount) {
		whole, frac, dot := strings.Cut(in.Amount, ".")
		whole = strings.TrimLeft(whole, "0")
		if whole == "" {
			whole = "0"
		}
		in.Amount = whole
		if dot {
			in.Amount += "." + frac
		}
	}
	return in
}

// Validate checks a cleaned input and returns the first problem, or nil.
func (in DisputeInput) Validate() *FieldError {
	switch {
	case !in.Kind.Valid():
		return &FieldError{"kind", clip.Quote(string(in.Kind)) + " is not a dispute kind"}
	case utf8.RuneCountInString(in.ExternalReference) > MaxExternalReferenceLen:
		return &FieldError{"externalReference", fmt.Sprintf("is longer than %d characters", MaxExternalReferenceLen)}
	case in.Amount != "" && !amountPattern.MatchString(in.Amount):
		return &FieldError{"amount", clip.Quote(in.Amount) + " is not an amount such as 49.99 (at most 4 decimals)"}
	case in.Currency != "" && !currencyPattern.MatchString(in.Currency):
		return &FieldError{"currency", clip.Quote(in.Currency) + " is not an ISO 4217 code such as USD"}
	case in.Amount != "" && in.Currency == "":
		return &FieldError{"currency", "is required with an amount"}
	case in.Amount == "" && in.Currency != "":
		return &FieldError{"amount", "is required with a currency"}
	case utf8.RuneCountInString(in.Note) > MaxNoteLen:
		return &FieldError{"note", fmt.Sprintf("is longer than %d characters", MaxNoteLen)}
	}
	return nil
}
