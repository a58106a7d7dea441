// Package source is the vocabulary of source health: where carrier events
// come from (a webhook source or a carrier account), when such a source
// counts as failing, and what the seller reads of it. A failing source
// holds the "no news" monitoring rules for the shipments it would deliver
// scans for (internal/flag): an outage of ours is not the seller's
// inactive tracking.
package source

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Kind is what a source is (GraphQL enum SourceKind).
type Kind string

// The kinds of source.
const (
	Webhook        Kind = "WEBHOOK"
	CarrierAccount Kind = "CARRIER_ACCOUNT"
)

// State is a source's health as the seller reads it (GraphQL enum
// SourceState).
type State string

// The states.
const (
	// Unknown: nothing received or polled yet.
	Unknown State = "UNKNOWN"
	OK      State = "OK"
	// Degraded: failing (Degraded decides); the "no news" rules are held.
	Degraded State = "DEGRADED"
)

// FailureThreshold is how many failures in a row make a source degraded:
// one failed poll or delivery is noise (a timeout, a deploy at the
// carrier); three in a row, each after its back-off, is an outage. The
// first success after them recovers it.
const FailureThreshold = 3

// Health is a source's record.
type Health struct {
	SourceID            string     `db:"source_id"`
	SellerID            string     `db:"seller_id"`
	Kind                Kind       `db:"kind"`
	LastSuccessAt       *time.Time `db:"last_success_at"`
	LastFailureAt       *time.Time `db:"last_failure_at"`
	LastError           string     `db:"last_error"`
	ConsecutiveFailures int        `db:"consecutive_failures"`
	WindowStart         time.Time  `db:"window_start"`
	OKCurrent           int        `db:"ok_current"`
	FailedCurrent       int        `db:"failed_current"`
	OKPrevious          int        `db:"ok_previous"`
	FailedPrevious      int        `db:"failed_previous"`
	LagSeconds          *float64   `db:"lag_seconds"`
	DegradedSince       *time.Time `db:"degraded_since"`
	DegradedReason      string     `db:"degraded_reason"`
	RetryAt             *time.Time `db:"retry_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
	// DegradedCarriers are the carriers the carrier check holds for a
	// webhook source that works for its others, by carrier.
	DegradedCarriers []CarrierHold `db:"-"`
}

// State is the health's state.
func (h Health) State() State {
	switch {
	case h.DegradedSince != nil:
		return Degraded
	case h.LastSuccessAt == nil && h.LastFailureAt == nil:
		return Unknown
	}
	return OK
}

// ErrorRate is the share of failed calls or deliveries over the current
// and the previous hour (0 when there were none).
func (h Health) ErrorRate() float64 {
	total := h.OKCurrent + h.FailedCurrent + h.OKPrevious + h.FailedPrevious
	if total == 0 {
		return 0
	}
	return float64(h.FailedCurrent+h.FailedPrevious) / float64(total)
}

// Outcome is what one batch of calls or deliveries of a source did.
type Outcome struct {
	SellerID, SourceID string
	Kind               Kind
	At                 time.Time
	OK, Failed         int
	// Lag is how late the newest event of a success arrived after it
	// happened (nil: the batch brought no event).
	Lag *time.Duration
	// Error is the failure's reason, in words for the seller.
	Error string
	// RetryAt: do not call the source before then (a Retry-After).
	RetryAt *time.Time
	// Carriers counts a webhook source's usable deliveries by carrier, in
	// the carriers' order (the carrier check's hourly counts); deliveries
	// whose carrier is not known are left out.
	Carriers []CarrierCount
}

// CarrierCount is how many usable deliveries of one carrier a batch made.
type CarrierCount struct {
	Carrier    string
	Deliveries int
}

// MarshalGQL writes s as a GraphQL enum value.
func (s State) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) } //nolint:errcheck // gqlgen's writer keeps the error

// UnmarshalGQL reads s from a GraphQL enum value.
func (s *State) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || (State(str) != Unknown && State(str) != OK && State(str) != Degraded) {
		return fmt.Errorf("%v is not a valid SourceState", v)
	}
	*s = State(str)
	return nil
}
