// Package shipment holds Shipwatch's domain values and the pure rules over
// them: shipment statuses, carrier events and what counts as a carrier scan.
// It does no I/O; the store persists these values and the jobs act on them.
package shipment

import (
	"strings"
	"time"
)

// Status is where a parcel stands, as Shipwatch understands it. The string
// values are the GraphQL enum values and what the database stores.
type Status string

// The statuses of a shipment, from no carrier event yet to a final outcome.
const (
	StatusPending            Status = "PENDING"
	StatusLabelCreated       Status = "LABEL_CREATED"
	StatusInTransit          Status = "IN_TRANSIT"
	StatusOutForDelivery     Status = "OUT_FOR_DELIVERY"
	StatusAvailableForPickup Status = "AVAILABLE_FOR_PICKUP"
	StatusDeliveryAttempted  Status = "DELIVERY_ATTEMPTED"
	StatusDelivered          Status = "DELIVERED"
	StatusException          Status = "EXCEPTION"
	StatusReturnedToSender   Status = "RETURNED_TO_SENDER"
	StatusCancelled          Status = "CANCELLED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{
	StatusPending, StatusLabelCreated, StatusInTransit, StatusOutForDelivery,
	StatusAvailableForPickup, StatusDeliveryAttempted, StatusDelivered,
	StatusException, StatusReturnedToSender, StatusCancelled,
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// IsScan reports whether an event with this status proves the carrier has
// the parcel. Marketplaces count a tracking number as valid only once the
// carrier scanned it, so a label or pre-transit record is not a scan.
func (s Status) IsScan() bool {
	switch s {
	case StatusPending, StatusLabelCreated, StatusCancelled, "":
		return false
	}
	return true
}

// Source says where a carrier event came from.
type Source string

// The sources of carrier events.
const (
	SourceEasyPost  Source = "EASYPOST"
	SourceAfterShip Source = "AFTERSHIP"
	// SourceSeventeenTrack is 17TRACK (an enum value cannot start with a digit).
	SourceSeventeenTrack Source = "SEVENTEEN_TRACK"
	SourceShippo         Source = "SHIPPO"
	SourceBackOffice     Source = "BACK_OFFICE"
	// The carriers polled with the seller's own credentials (internal/carrier).
	SourceUPS   Source = "UPS"
	SourceFedEx Source = "FEDEX"
	SourceUSPS  Source = "USPS"
)

// Location is where a carrier event happened, as precise as the carrier says.
type Location struct {
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// Event is one carrier event for one tracking number, whatever its source.
type Event struct {
	// TrackingNumber is the number as the source sent it; the store keys
	// events on its normalised form.
	TrackingNumber string
	// Carrier is the carrier code the source named, if any.
	Carrier    string
	OccurredAt time.Time
	// OccurredLocal is the carrier's own text of a time it gave without a
	// zone (OccurredAt is that time resolved from the scan's location).
	OccurredLocal string
	Status        Status
	// CarrierStatus is the carrier's or provider's own code or text.
	CarrierStatus string
	// ProviderStatus and ProviderDetail keep the provider's raw values
	// (EasyPost status/status_detail, AfterShip tag/subtag).
	ProviderStatus string
	ProviderDetail string
	Description    string
	Location       Location
	// EstimatedDeliveryAt is the carrier's estimate as of this event.
	EstimatedDeliveryAt *time.Time
	// SignedBy and PhotoURL are proof-of-delivery details, when given.
	SignedBy string
	PhotoURL string
	Source   Source
}

// WithoutNUL returns e with every NUL character removed from its text.
// PostgreSQL's text cannot hold one, and a tracking provider's payload may
// carry one in any field: the whole webhook would fail and be retried
// forever. The raw body, NULs included, stays in the delivery as received.
func (e Event) WithoutNUL() Event {
	for _, s := range []*string{&e.TrackingNumber, &e.Carrier, &e.OccurredLocal, &e.CarrierStatus, &e.ProviderStatus, &e.ProviderDetail,
		&e.Description, &e.Location.City, &e.Location.Region, &e.Location.PostalCode, &e.Location.Country,
		&e.SignedBy, &e.PhotoURL} {
		*s = strings.ReplaceAll(*s, "\x00", "")
	}
	return e
}
