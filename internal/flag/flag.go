// Package flag is the monitoring vocabulary: the kinds of problem a rule
// raises on a shipment, their severities and resolutions, and the rule
// catalogue that defines each kind once (its severity, whether time alone
// can change it, its condition and its message). The store runs the
// conditions as set-based SQL; GraphQL binds its enums to these types.
package flag

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// Kind is the kind of problem a flag reports (GraphQL enum FlagKind).
type Kind string

// The kinds, one per rule of the catalogue.
const (
	InvalidTracking   Kind = "INVALID_TRACKING"
	CarrierMismatch   Kind = "CARRIER_MISMATCH"
	DuplicateTracking Kind = "DUPLICATE_TRACKING"
	InactiveTracking  Kind = "INACTIVE_TRACKING"
	Stalled           Kind = "STALLED"
	LateShipment      Kind = "LATE_SHIPMENT"
	DeliveryAtRisk    Kind = "DELIVERY_AT_RISK"
	LateDelivery      Kind = "LATE_DELIVERY"
	DeliveryException Kind = "DELIVERY_EXCEPTION"
	DisputeDueSoon    Kind = "DISPUTE_DUE_SOON"
	ProofMissing      Kind = "PROOF_MISSING"
	// SourceDegraded stands in for INACTIVE_TRACKING and STALLED while the
	// source that would bring the shipment's scans is failing.
	SourceDegraded Kind = "SOURCE_DEGRADED"
	// ProjectedMiss is an account flag: a marketplace standard meets its
	// target today but is projected to miss it on the day the marketplace
	// evaluates it. No rule of the catalogue raises it: the outlook job
	// does (internal/health), and resolves it when the projection is back
	// on target. It names no shipment; Flag.Subject names the standard.
	ProjectedMiss Kind = "PROJECTED_MISS"
)

// accountKinds are the kinds about a seller's account rather than one
// shipment, with their severity.
var accountKinds = map[Kind]Severity{ProjectedMiss: Warning}

// Entry is a kind a flag can have, with its severity; Account is true for
// the account kinds, whose flags name a subject instead of a shipment.
type Entry struct {
	Kind     Kind
	Severity Severity
	Account  bool
}

// Kinds lists every kind a flag can have: the catalogue's rules in their
// order, then the account kinds (ProjectedMiss). Lists and filters of
// flags offer these, so an account flag is as reachable as any other.
func Kinds() []Entry {
	out := make([]Entry, 0, len(Rules)+len(accountKinds))
	for _, r := range Rules {
		out = append(out, Entry{Kind: r.Kind, Severity: r.Severity})
	}
	account := make([]Entry, 0, len(accountKinds))
	for k, s := range accountKinds {
		account = append(account, Entry{Kind: k, Severity: s, Account: true})
	}
	sort.Slice(account, func(i, j int) bool { return account[i].Kind < account[j].Kind })
	return append(out, account...)
}

// AccountSeverity returns the severity of an account kind; ok is false for
// the catalogue's shipment kinds.
func AccountSeverity(k Kind) (Severity, bool) {
	s, ok := accountKinds[k]
	return s, ok
}

// Severity is how urgent a flag is (GraphQL enum FlagSeverity).
type Severity string

// The severities, least urgent first.
const (
	Info     Severity = "INFO"
	Warning  Severity = "WARNING"
	Critical Severity = "CRITICAL"
)

// Resolution says how a flag was closed (GraphQL enum FlagResolution);
// "" while it is open.
type Resolution string

// The resolutions.
const (
	// Auto: the condition stopped holding.
	Auto Resolution = "AUTO"
	// Manual: the seller resolved it, with a note.
	Manual Resolution = "MANUAL"
)

// Flag is a problem a monitoring rule raised on a shipment, or an account
// flag (ProjectedMiss) about one of the seller's standards. It is open
// until resolved: AUTO when its condition stopped holding, MANUAL when the
// seller closed it.
type Flag struct {
	ID       string `db:"id"`
	SellerID string `db:"seller_id"`
	// ShipmentID is "" for an account flag.
	ShipmentID string `db:"shipment_id"`
	// Subject is, for an account flag, what it is about
	// (MARKETPLACE/METRIC/WINDOW_DAYS); "" for a shipment flag.
	Subject        string     `db:"subject"`
	Kind           Kind       `db:"kind"`
	Severity       Severity   `db:"severity"`
	Message        string     `db:"message"`
	RaisedAt       time.Time  `db:"raised_at"`
	AcknowledgedAt *time.Time `db:"acknowledged_at"`
	ResolvedAt     *time.Time `db:"resolved_at"`
	// Resolution is "" while open.
	Resolution     Resolution `db:"resolution"`
	ResolutionNote string     `db:"resolution_note"`
}

// Open reports whether the flag is not resolved.
func (f Flag) Open() bool { return f.ResolvedAt == nil }

// Valid reports whether k is a kind of the catalogue.
func (k Kind) Valid() bool {
	_, ok := byKind[k]
	_, account := accountKinds[k]
	return ok || account
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s == Info || s == Warning || s == Critical }

// Valid reports whether r is a known resolution.
func (r Resolution) Valid() bool { return r == Auto || r == Manual }

// MarshalGQL writes k as a GraphQL enum value.
func (k Kind) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(k))) } //nolint:errcheck // gqlgen's writer keeps the error

// UnmarshalGQL reads k from a GraphQL enum value.
func (k *Kind) UnmarshalGQL(v any) error { return unmarshalEnum(v, "FlagKind", k, Kind.Valid) }

// MarshalGQL writes s as a GraphQL enum value.
func (s Severity) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) } //nolint:errcheck // as in Kind

// UnmarshalGQL reads s from a GraphQL enum value.
func (s *Severity) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "FlagSeverity", s, Severity.Valid)
}

// MarshalGQL writes r as a GraphQL enum value.
func (r Resolution) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) } //nolint:errcheck // as in Kind

// UnmarshalGQL reads r from a GraphQL enum value.
func (r *Resolution) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "FlagResolution", r, Resolution.Valid)
}

func unmarshalEnum[T ~string](v any, name string, dst *T, valid func(T) bool) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s must be a string, not %T", name, v)
	}
	if !valid(T(s)) {
		return fmt.Errorf("%q is not a valid %s", s, name)
	}
	*dst = T(s)
	return nil
}
