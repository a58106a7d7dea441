package simulate

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// 17TRACK's v2.2 push shapes, as much of them as a receiver reads.
type seventeenPush struct {
	Event string        `json:"event"`
	Data  seventeenData `json:"data"`
}

type seventeenData struct {
	Number    string        `json:"number"`
	Carrier   int           `json:"carrier"`
	Param     *string       `json:"param"`
	Tag       string        `json:"tag"`
	TrackInfo seventeenInfo `json:"track_info"`
}

type seventeenInfo struct {
	LatestStatus seventeenStatus   `json:"latest_status"`
	LatestEvent  *seventeenEvent   `json:"latest_event"`
	TimeMetrics  seventeenMetrics  `json:"time_metrics"`
	Tracking     seventeenTracking `json:"tracking"`
}

type seventeenStatus struct {
	Status         string  `json:"status"`
	SubStatus      string  `json:"sub_status"`
	SubStatusDescr *string `json:"sub_status_descr"`
}

type seventeenMetrics struct {
	EstimatedDeliveryDate struct {
		Source *string `json:"source"`
		From   *string `json:"from"`
		To     *string `json:"to"`
	} `json:"estimated_delivery_date"`
}

type seventeenTracking struct {
	ProvidersHash int64               `json:"providers_hash"`
	Providers     []seventeenProvider `json:"providers"`
}

type seventeenProvider struct {
	Provider struct {
		Key  int    `json:"key"`
		Name string `json:"name"`
	} `json:"provider"`
	LatestSyncStatus string           `json:"latest_sync_status"`
	LatestSyncTime   string           `json:"latest_sync_time"`
	Events           []seventeenEvent `json:"events"`
}

type seventeenEvent struct {
	TimeISO     string           `json:"time_iso"`
	TimeUTC     string           `json:"time_utc"`
	Description string           `json:"description"`
	Location    string           `json:"location"`
	Stage       *string          `json:"stage"`
	SubStatus   string           `json:"sub_status"`
	Address     seventeenAddress `json:"address"`
}

type seventeenAddress struct {
	Country    *string `json:"country"`
	State      *string `json:"state"`
	City       *string `json:"city"`
	PostalCode *string `json:"postal_code"`
}

// seventeenSubStatus is the 17TRACK sub-status a Shipwatch status reads
// back from (webhook.SeventeenTrackStatus).
var seventeenSubStatus = map[shipment.Status]string{
	shipment.StatusPending:            "NotFound_Other",
	shipment.StatusLabelCreated:       "InfoReceived",
	shipment.StatusInTransit:          "InTransit_Other",
	shipment.StatusOutForDelivery:     "OutForDelivery_Other",
	shipment.StatusAvailableForPickup: "AvailableForPickup_Other",
	shipment.StatusDeliveryAttempted:  "DeliveryFailure_Other",
	shipment.StatusDelivered:          "Delivered_Other",
	shipment.StatusException:          "Exception_Other",
	shipment.StatusReturnedToSender:   "Exception_Returned",
	shipment.StatusCancelled:          "Exception_Cancel",
}

// seventeenCarriers are 17TRACK carrier keys of the simulated carriers.
var seventeenCarriers = map[string]int{"usps": 21051, "ups": 100002, "fedex": 100003}

// SeventeenTrackPayload renders events, a number's carrier events so far,
// as the TRACKING_UPDATED push 17TRACK would send: newest event first, as
// 17TRACK lists them, with the last event's status as the latest.
func SeventeenTrackPayload(trackingNumber, carrier string, events []shipment.Event) []byte {
	push := seventeenPush{Event: "TRACKING_UPDATED", Data: seventeenData{Number: trackingNumber, Carrier: seventeenCarriers[carrier]}}
	prov := seventeenProvider{LatestSyncStatus: "Success"}
	prov.Provider.Key, prov.Provider.Name = push.Data.Carrier, carrier
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		at := e.OccurredAt.UTC().Format(time.RFC3339)
		ev := seventeenEvent{
			TimeISO: at, TimeUTC: at, Description: e.Description, SubStatus: seventeenSubStatus[e.Status],
			Location: e.Location.City,
			Address: seventeenAddress{Country: nullable(e.Location.Country), State: nullable(e.Location.Region),
				City: nullable(e.Location.City), PostalCode: nullable(e.Location.PostalCode)},
		}
		prov.Events = append(prov.Events, ev)
	}
	if n := len(events); n > 0 {
		last := events[n-1]
		sub := seventeenSubStatus[last.Status]
		push.Data.TrackInfo.LatestStatus = seventeenStatus{Status: webhookStatusPrefix(sub), SubStatus: sub}
		push.Data.TrackInfo.LatestEvent = &prov.Events[0]
		prov.LatestSyncTime = last.OccurredAt.UTC().Format(time.RFC3339)
		if last.EstimatedDeliveryAt != nil {
			to := last.EstimatedDeliveryAt.UTC().Format(time.RFC3339)
			push.Data.TrackInfo.TimeMetrics.EstimatedDeliveryDate.To = &to
		}
	}
	push.Data.TrackInfo.Tracking.Providers = []seventeenProvider{prov}
	b, err := json.Marshal(push)
	if err != nil {
		panic(fmt.Sprintf("simulate: encode 17track push: %v", err)) // plain structs always encode
	}
	return b
}

func webhookStatusPrefix(sub string) string {
	for i := 0; i < len(sub); i++ {
		if sub[i] == '_' {
			return sub[:i]
		}
	}
	return sub
}

// SignSeventeenTrack returns the header and value 17TRACK signs body with
// under the account's key.
func SignSeventeenTrack(body []byte, key string) (header, value string) {
	return webhook.SeventeenTrackSignatureHeader, webhook.SeventeenTrackSign(body, key)
}
