// Package evidence builds the delivery evidence a seller answers a dispute
// with ("it never arrived", an A-to-z claim, a chargeback): the hash chain
// that makes carrier events and proofs of delivery tamper-evident, the
// evidence pack (the evidence.json document) and its PDF rendering.
//
// The package is pure: it reads no database and writes only to the
// io.Writer it is given. The store builds Records from rows, keeps their
// hashes, and hands them back here in chain order to be verified and packed.
// docs/evidence.md defines the hash encoding byte for byte.
package evidence

import (
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Kind names one of the two kinds of hash-chained records. The values
// appear in the evidence JSON and in the PDF ("BROKEN at record #4 (event 123)").
type Kind string

// The kinds of records in a shipment's evidence chain.
const (
	KindEvent Kind = "event"
	KindProof Kind = "proof"
)

// Record is one record of a shipment's evidence chain: an EventRecord or a
// ProofRecord (or a pointer to one). The set is closed: the content
// encoding of each kind is a contract (see docs/evidence.md), so no other
// package can add a kind.
type Record interface {
	// Kind says which kind of record this is.
	Kind() Kind
	// recordID is the record's id as it appears in reports.
	recordID() string
	// encode appends the record's canonical content encoding to e.
	encode(e *encoder)
}

// EventRecord is a carrier event as it is hashed into the chain. Every field
// is part of the content hash, so the store fills it from the row exactly as
// stored: times come back from PostgreSQL with microsecond precision, which
// is why the encoding truncates to microseconds.
type EventRecord struct {
	// ID is the event's id within the shipment's evidence, as text (the
	// tracking_events id in decimal). It must be formatted the same way
	// every time: it is hashed.
	ID         string          `json:"id"`
	OccurredAt time.Time       `json:"occurred_at"`
	Status     shipment.Status `json:"status"`
	// CarrierStatus is the carrier's or provider's own code or text.
	CarrierStatus string `json:"carrier_status,omitempty"`
	// ProviderStatus and ProviderDetail are the provider's raw values
	// (EasyPost status/status_detail, AfterShip tag/subtag).
	ProviderStatus string            `json:"provider_status,omitempty"`
	ProviderDetail string            `json:"provider_detail,omitempty"`
	Description    string            `json:"description,omitempty"`
	Location       shipment.Location `json:"location"`
	// EstimatedDeliveryAt is the carrier's estimate as of this event.
	EstimatedDeliveryAt *time.Time `json:"estimated_delivery_at,omitempty"`
	SignedBy            string     `json:"signed_by,omitempty"`
	PhotoURL            string     `json:"photo_url,omitempty"`
	// Source says where the event came from (EASYPOST, AFTERSHIP, ...).
	Source shipment.Source `json:"source"`
	// ReceivedAt is when Shipwatch received the event.
	ReceivedAt time.Time `json:"received_at"`
}

// Kind reports KindEvent.
func (EventRecord) Kind() Kind { return KindEvent }

func (r EventRecord) recordID() string { return r.ID }

// ProofRecord is a proof of delivery as it is hashed into the chain. The
// photo and signature images are not hashed themselves: their SHA-256
// digests are, so an image swapped after the fact no longer matches.
type ProofRecord struct {
	// ID is the proof's id as text, formatted the same way every time.
	ID          string    `json:"id"`
	DeliveredAt time.Time `json:"delivered_at"`
	SignedBy    string    `json:"signed_by,omitempty"`
	// Latitude and Longitude are WGS 84 degrees, nil when not recorded.
	// They are hashed with 7 decimals (about 1 cm), so a column of
	// double precision or numeric with at least 7 decimals keeps them.
	Latitude            *float64 `json:"latitude,omitempty"`
	Longitude           *float64 `json:"longitude,omitempty"`
	LocationDescription string   `json:"location_description,omitempty"`
	// PhotoSHA256 and SignatureSHA256 are the hex SHA-256 digests of the
	// image bytes, empty when there is no such image.
	PhotoSHA256     string `json:"photo_sha256,omitempty"`
	SignatureSHA256 string `json:"signature_sha256,omitempty"`
	// CarrierReference is the carrier's own id for the proof, if any.
	CarrierReference string          `json:"carrier_reference,omitempty"`
	Source           shipment.Source `json:"source"`
	// RecordedAt is when Shipwatch recorded the proof.
	RecordedAt time.Time `json:"recorded_at"`
}

// Kind reports KindProof.
func (ProofRecord) Kind() Kind { return KindProof }

func (r ProofRecord) recordID() string { return r.ID }

// StoredRecord is a record as read back from the store with the two hashes
// written next to it when it was inserted.
type StoredRecord struct {
	Record Record
	// ContentHash is the stored ContentHash of Record.
	ContentHash [32]byte
	// ChainHash is the stored LinkHash of the previous record's ChainHash
	// (zero for the first record) and this record's ContentHash.
	ChainHash [32]byte
}
