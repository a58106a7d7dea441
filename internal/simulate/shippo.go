package simulate

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Shippo's track_updated shapes (the Tracking object), as much of them as
// a receiver reads.
type shippoWebhook struct {
	Event string         `json:"event"`
	Test  bool           `json:"test"`
	Data  shippoTracking `json:"data"`
}

type shippoTracking struct {
	Carrier         string         `json:"carrier"`
	TrackingNumber  string         `json:"tracking_number"`
	ETA             *string        `json:"eta"`
	OriginalETA     *string        `json:"original_eta"`
	Metadata        *string        `json:"metadata"`
	TrackingStatus  *shippoStatus  `json:"tracking_status"`
	TrackingHistory []shippoStatus `json:"tracking_history"`
	Messages        []string       `json:"messages"`
}

type shippoStatus struct {
	ObjectCreated string         `json:"object_created"`
	ObjectUpdated string         `json:"object_updated"`
	ObjectID      string         `json:"object_id"`
	Status        string         `json:"status"`
	StatusDetails string         `json:"status_details"`
	StatusDate    string         `json:"status_date"`
	Substatus     *shippoSub     `json:"substatus"`
	Location      shippoLocation `json:"location"`
}

type shippoSub struct {
	Code           string `json:"code"`
	Text           string `json:"text"`
	ActionRequired bool   `json:"action_required"`
}

type shippoLocation struct {
	City    string `json:"city"`
	State   string `json:"state"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
}

// shippoStatusOf is the Shippo status and substatus code a Shipwatch status
// reads back from (webhook.ShippoStatus).
var shippoStatusOf = map[shipment.Status][2]string{
	shipment.StatusPending:            {"UNKNOWN", ""},
	shipment.StatusLabelCreated:       {"PRE_TRANSIT", "information_received"},
	shipment.StatusInTransit:          {"TRANSIT", "package_departed"},
	shipment.StatusOutForDelivery:     {"TRANSIT", "out_for_delivery"},
	shipment.StatusAvailableForPickup: {"TRANSIT", "pickup_available"},
	shipment.StatusDeliveryAttempted:  {"TRANSIT", "delivery_attempted"},
	shipment.StatusDelivered:          {"DELIVERED", "delivered"},
	shipment.StatusException:          {"FAILURE", "package_lost"},
	shipment.StatusReturnedToSender:   {"RETURNED", "return_to_sender"},
	shipment.StatusCancelled:          {"FAILURE", "other"},
}

// ShippoPayload renders events, a number's carrier events so far, as the
// track_updated webhook Shippo would post: every event in
// tracking_history, oldest first, the last one as tracking_status, and
// its estimate as eta.
func ShippoPayload(trackingNumber, carrier string, events []shipment.Event) []byte {
	wh := shippoWebhook{Event: "track_updated", Data: shippoTracking{Carrier: carrier, TrackingNumber: trackingNumber,
		TrackingHistory: []shippoStatus{}, Messages: []string{}}}
	for _, e := range events {
		st := shippoStatusOf[e.Status]
		at := e.OccurredAt.UTC().Format(time.RFC3339)
		s := shippoStatus{ObjectCreated: at, ObjectUpdated: at, ObjectID: digest(trackingNumber + at)[:32],
			Status: st[0], StatusDetails: e.Description, StatusDate: at,
			Location: shippoLocation{City: e.Location.City, State: e.Location.Region, Zip: e.Location.PostalCode, Country: e.Location.Country}}
		if st[1] != "" {
			s.Substatus = &shippoSub{Code: st[1], Text: e.Description}
		}
		wh.Data.TrackingHistory = append(wh.Data.TrackingHistory, s)
	}
	if n := len(events); n > 0 {
		last := wh.Data.TrackingHistory[n-1]
		wh.Data.TrackingStatus = &last
		if est := events[n-1].EstimatedDeliveryAt; est != nil {
			eta := est.UTC().Format(time.RFC3339)
			wh.Data.ETA = &eta
		}
	}
	b, err := json.Marshal(wh)
	if err != nil {
		panic(fmt.Sprintf("simulate: encode shippo webhook: %v", err)) // plain structs always encode
	}
	return b
}
