package store

// FlagRule is one monitoring rule as set-based SQL.
type FlagRule struct {
	// Kind is the FlagKind the rule raises.
	Kind string
	// Severity is the severity of the flags it raises (INFO, WARNING or CRITICAL).
	Severity string
	// Candidates is a SELECT of (shipment_id uuid, message text): every shipment for which the
	// condition holds at time $2 (timestamptz), for seller $1 (uuid; NULL means every seller),
	// restricted to shipments $3 (uuid[]; NULL means all of them).
	Candidates string
}
