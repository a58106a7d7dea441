package webhook

import (
	"strings"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// mapping says which Shipwatch status a provider's (status, detail) pair
// means. An empty detail is the row for the status alone; a row with a
// detail refines it. docs/events.md renders these tables, and a test keeps
// the two in step.
type mapping struct {
	status, detail string
	to             shipment.Status
}

// easyPostMappings: the Tracker status decides, except where status_detail
// says more than a non-final status can (an attempt, a return, a loss).
// Mere delays (delayed, weather_delay, transit_exception, held, missorted)
// stay IN_TRANSIT: lateness rules catch them without crying exception.
var easyPostMappings = []mapping{
	{"unknown", "", shipment.StatusPending},
	{"error", "", shipment.StatusPending},
	{"pre_transit", "", shipment.StatusLabelCreated},
	{"pre_transit", "cancelled", shipment.StatusCancelled},
	{"in_transit", "", shipment.StatusInTransit},
	{"in_transit", "out_for_delivery", shipment.StatusOutForDelivery},
	{"in_transit", "arrived_at_pickup_location", shipment.StatusAvailableForPickup},
	{"in_transit", "delivery_exception", shipment.StatusDeliveryAttempted},
	{"in_transit", "return", shipment.StatusReturnedToSender},
	{"in_transit", "refused", shipment.StatusException},
	{"in_transit", "lost", shipment.StatusException},
	{"in_transit", "damaged", shipment.StatusException},
	{"out_for_delivery", "", shipment.StatusOutForDelivery},
	{"out_for_delivery", "delivery_exception", shipment.StatusDeliveryAttempted},
	{"out_for_delivery", "refused", shipment.StatusException},
	{"out_for_delivery", "return", shipment.StatusReturnedToSender},
	{"available_for_pickup", "", shipment.StatusAvailableForPickup},
	{"available_for_pickup", "return", shipment.StatusReturnedToSender},
	{"delivered", "", shipment.StatusDelivered},
	{"return_to_sender", "", shipment.StatusReturnedToSender},
	{"failure", "", shipment.StatusException},
	{"failure", "return", shipment.StatusReturnedToSender},
	{"cancelled", "", shipment.StatusCancelled},
	{"canceled", "", shipment.StatusCancelled},
}

// afterShipMappings: the tag decides, except the return subtags, which
// AfterShip files under Exception. Expired (no carrier information for 30
// days) is an exception: the parcel is unaccounted for.
var afterShipMappings = []mapping{
	{"Pending", "", shipment.StatusPending},
	{"InfoReceived", "", shipment.StatusLabelCreated},
	{"InTransit", "", shipment.StatusInTransit},
	{"OutForDelivery", "", shipment.StatusOutForDelivery},
	{"AvailableForPickup", "", shipment.StatusAvailableForPickup},
	{"AttemptFail", "", shipment.StatusDeliveryAttempted},
	{"Delivered", "", shipment.StatusDelivered},
	{"Exception", "", shipment.StatusException},
	{"Exception", "Exception_010", shipment.StatusReturnedToSender},
	{"Exception", "Exception_011", shipment.StatusReturnedToSender},
	{"Expired", "", shipment.StatusException},
}

// seventeenTrackMappings: the main status decides (it is the sub-status'
// prefix: InTransit_PickedUp is InTransit), except the sub-statuses that
// say more: a return, a refusal, a cancellation, a mere delay. Expired (no
// news from the carrier for a long time) is an exception, as AfterShip's.
var seventeenTrackMappings = []mapping{
	{"NotFound", "", shipment.StatusPending},
	{"InfoReceived", "", shipment.StatusLabelCreated},
	{"InTransit", "", shipment.StatusInTransit},
	{"Expired", "", shipment.StatusException},
	{"AvailableForPickup", "", shipment.StatusAvailableForPickup},
	{"OutForDelivery", "", shipment.StatusOutForDelivery},
	{"DeliveryFailure", "", shipment.StatusDeliveryAttempted},
	{"DeliveryFailure", "DeliveryFailure_Rejected", shipment.StatusException},
	{"Delivered", "", shipment.StatusDelivered},
	{"Exception", "", shipment.StatusException},
	{"Exception", "Exception_Returning", shipment.StatusReturnedToSender},
	{"Exception", "Exception_Returned", shipment.StatusReturnedToSender},
	{"Exception", "Exception_Delayed", shipment.StatusInTransit},
	{"Exception", "Exception_Cancel", shipment.StatusCancelled},
}

// seventeenTrackStages: an event's stage, for events without a sub-status.
var seventeenTrackStages = []mapping{
	{"InfoReceived", "", shipment.StatusLabelCreated},
	{"PickedUp", "", shipment.StatusInTransit},
	{"Departure", "", shipment.StatusInTransit},
	{"Arrival", "", shipment.StatusInTransit},
	{"AvailableForPickup", "", shipment.StatusAvailableForPickup},
	{"OutForDelivery", "", shipment.StatusOutForDelivery},
	{"Delivered", "", shipment.StatusDelivered},
	{"Returning", "", shipment.StatusReturnedToSender},
	{"Returned", "", shipment.StatusReturnedToSender},
}

// shippoMappings: the tracking status decides, refined by the substatus
// code where it says more than TRANSIT or FAILURE can (out for delivery,
// ready for pickup, an attempt, a return, a loss). Delays, holds and
// reschedules stay IN_TRANSIT, as EasyPost's do.
var shippoMappings = []mapping{
	{"UNKNOWN", "", shipment.StatusPending},
	{"PRE_TRANSIT", "", shipment.StatusLabelCreated},
	{"TRANSIT", "", shipment.StatusInTransit},
	{"TRANSIT", "out_for_delivery", shipment.StatusOutForDelivery},
	{"TRANSIT", "pickup_available", shipment.StatusAvailableForPickup},
	{"TRANSIT", "delivery_attempted", shipment.StatusDeliveryAttempted},
	{"TRANSIT", "notice_left", shipment.StatusDeliveryAttempted},
	{"TRANSIT", "return_to_sender", shipment.StatusReturnedToSender},
	{"TRANSIT", "package_damaged", shipment.StatusException},
	{"TRANSIT", "package_lost", shipment.StatusException},
	{"TRANSIT", "package_undeliverable", shipment.StatusException},
	{"TRANSIT", "package_disposed", shipment.StatusException},
	{"DELIVERED", "", shipment.StatusDelivered},
	{"RETURNED", "", shipment.StatusReturnedToSender},
	{"FAILURE", "", shipment.StatusException},
	{"FAILURE", "return_to_sender", shipment.StatusReturnedToSender},
	{"FAILURE", "delivery_attempted", shipment.StatusDeliveryAttempted},
}

// unknownStatus is what a value missing from the tables maps to. PENDING
// does not count as a carrier scan, so a status we cannot read never makes
// a shipment look handled; the raw value stays on the event for people.
const unknownStatus = shipment.StatusPending

type mappingKey struct{ status, detail string }

var (
	easyPostIndex  = indexMappings(easyPostMappings)
	afterShipIndex = indexMappings(afterShipMappings)
	seventeenIndex = indexMappings(seventeenTrackMappings)
	stageIndex     = indexMappings(seventeenTrackStages)
	shippoIndex    = indexMappings(shippoMappings)
)

func indexMappings(rows []mapping) map[mappingKey]shipment.Status {
	m := make(map[mappingKey]shipment.Status, len(rows))
	for _, r := range rows {
		m[mappingKey{fold(r.status), fold(r.detail)}] = r.to
	}
	return m
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func lookup(index map[mappingKey]shipment.Status, status, detail string) (shipment.Status, bool) {
	status, detail = fold(status), fold(detail)
	if s, ok := index[mappingKey{status, detail}]; ok {
		return s, true
	}
	s, ok := index[mappingKey{status, ""}]
	return s, ok
}

// EasyPostStatus maps an EasyPost status and status_detail to a Shipwatch
// status (see docs/events.md). Case and surrounding space are ignored; an
// unknown status maps to PENDING.
func EasyPostStatus(status, detail string) shipment.Status {
	if s, ok := lookup(easyPostIndex, status, detail); ok {
		return s
	}
	return unknownStatus
}

// AfterShipStatus maps an AfterShip tag and subtag to a Shipwatch status
// (see docs/events.md). Case and surrounding space are ignored. A missing
// tag is taken from the subtag's prefix ("InTransit_003" is InTransit); an
// unknown tag maps to PENDING.
func AfterShipStatus(tag, subtag string) shipment.Status {
	if strings.TrimSpace(tag) == "" {
		tag, _, _ = strings.Cut(strings.TrimSpace(subtag), "_")
	}
	if s, ok := lookup(afterShipIndex, tag, subtag); ok {
		return s
	}
	return unknownStatus
}

// SeventeenTrackStatus maps a 17TRACK status and sub-status to a Shipwatch
// status (see docs/events.md). A missing status is taken from the
// sub-status' prefix; an unknown one maps to PENDING.
func SeventeenTrackStatus(status, subStatus string) shipment.Status {
	if strings.TrimSpace(status) == "" {
		status, _, _ = strings.Cut(strings.TrimSpace(subStatus), "_")
	}
	if s, ok := lookup(seventeenIndex, status, subStatus); ok {
		return s
	}
	return unknownStatus
}

// SeventeenTrackEventStatus maps one 17TRACK event: by its sub-status, or
// by its stage when it has none.
func SeventeenTrackEventStatus(subStatus, stage string) shipment.Status {
	if strings.TrimSpace(subStatus) != "" {
		return SeventeenTrackStatus("", subStatus)
	}
	if s, ok := lookup(stageIndex, stage, ""); ok {
		return s
	}
	return unknownStatus
}

// ShippoStatus maps a Shippo tracking status and substatus code to a
// Shipwatch status (see docs/events.md); an unknown status maps to PENDING.
func ShippoStatus(status, substatus string) shipment.Status {
	if s, ok := lookup(shippoIndex, status, substatus); ok {
		return s
	}
	return unknownStatus
}
