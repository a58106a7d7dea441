package simulate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// EasyPost's webhook shapes, as much of them as a receiver could read.
type easyPostEvent struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Mode               string            `json:"mode"`
	Description        string            `json:"description"`
	PreviousAttributes map[string]string `json:"previous_attributes"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
	PendingURLs        []string          `json:"pending_urls"`
	CompletedURLs      []string          `json:"completed_urls"`
	Status             string            `json:"status"`
	Result             easyPostTracker   `json:"result"`
}

type easyPostTracker struct {
	ID              string           `json:"id"`
	Object          string           `json:"object"`
	Mode            string           `json:"mode"`
	TrackingCode    string           `json:"tracking_code"`
	Status          string           `json:"status"`
	StatusDetail    string           `json:"status_detail"`
	CreatedAt       string           `json:"created_at"`
	UpdatedAt       string           `json:"updated_at"`
	SignedBy        *string          `json:"signed_by"`
	EstDeliveryDate *string          `json:"est_delivery_date"`
	ShipmentID      *string          `json:"shipment_id"`
	Carrier         string           `json:"carrier"`
	TrackingDetails []easyPostDetail `json:"tracking_details"`
	Finalized       bool             `json:"finalized"`
	IsReturn        bool             `json:"is_return"`
	PublicURL       string           `json:"public_url"`
}

type easyPostDetail struct {
	Object           string           `json:"object"`
	Message          string           `json:"message"`
	Description      string           `json:"description"`
	Status           string           `json:"status"`
	StatusDetail     string           `json:"status_detail"`
	Datetime         string           `json:"datetime"`
	Source           string           `json:"source"`
	CarrierCode      string           `json:"carrier_code"`
	TrackingLocation easyPostLocation `json:"tracking_location"`
}

type easyPostLocation struct {
	Object  string  `json:"object"`
	City    *string `json:"city"`
	State   *string `json:"state"`
	Country *string `json:"country"`
	Zip     *string `json:"zip"`
}

// EasyPostPayload renders events, the carrier events of one tracking
// number so far, as the "tracker.updated" Event EasyPost would post at now:
// a Tracker whose status is the last event's, with every event as a
// tracking detail, signed_by from the delivery and est_delivery_date from
// the last event's estimate.
func EasyPostPayload(trackingNumber, carrier string, events []shipment.Event, now time.Time) []byte {
	now = now.UTC()
	tr := easyPostTracker{
		ID:           "trk_" + digest(trackingNumber)[:32],
		Object:       "Tracker",
		Mode:         "test",
		TrackingCode: trackingNumber,
		Status:       "unknown",
		StatusDetail: "unknown",
		CreatedAt:    now.Format(time.RFC3339),
		UpdatedAt:    now.Format(time.RFC3339),
		Carrier:      easyPostCarrier(carrier),
		PublicURL:    "https://track.easypost.com/" + digest(trackingNumber)[:24],
	}
	previous := map[string]string{}
	for i, e := range events {
		status, detail := easyPostStatus(e)
		tr.TrackingDetails = append(tr.TrackingDetails, easyPostDetail{
			Object:       "TrackingDetail",
			Message:      e.Description,
			Description:  e.Description,
			Status:       status,
			StatusDetail: detail,
			Datetime:     e.OccurredAt.UTC().Format(time.RFC3339),
			Source:       tr.Carrier,
			CarrierCode:  e.CarrierStatus,
			TrackingLocation: easyPostLocation{
				Object: "TrackingLocation",
				City:   nullable(e.Location.City), State: nullable(e.Location.Region),
				Country: nullable(e.Location.Country), Zip: nullable(e.Location.PostalCode),
			},
		})
		if i == 0 {
			tr.CreatedAt = e.OccurredAt.UTC().Format(time.RFC3339)
		}
		if i == len(events)-2 {
			previous["status"] = status
		}
		tr.Status, tr.StatusDetail = status, detail
		if e.SignedBy != "" {
			tr.SignedBy = &events[i].SignedBy
		}
		if e.EstimatedDeliveryAt != nil {
			edd := e.EstimatedDeliveryAt.UTC().Format(time.RFC3339)
			tr.EstDeliveryDate = &edd
		}
	}
	switch tr.Status {
	case "delivered", "return_to_sender", "failure", "cancelled":
		tr.Finalized = true
	}
	tr.IsReturn = tr.Status == "return_to_sender"
	return mustJSON(easyPostEvent{
		ID:                 "evt_" + digest(fmt.Sprint(trackingNumber, len(events), now.UnixNano()))[:32],
		Object:             "Event",
		Mode:               "test",
		Description:        "tracker.updated",
		PreviousAttributes: previous,
		CreatedAt:          now.Format(time.RFC3339),
		UpdatedAt:          now.Format(time.RFC3339),
		PendingURLs:        []string{},
		CompletedURLs:      []string{},
		Status:             "pending",
		Result:             tr,
	})
}

// SignEasyPost returns the header EasyPost would sign body with: the hex
// HMAC-SHA256 of the body keyed with the NFKD-normalised secret.
func SignEasyPost(body []byte, secret string) (header, value string) {
	mac := hmac.New(sha256.New, []byte(norm.NFKD.String(secret)))
	mac.Write(body)
	return "X-Hmac-Signature", "hmac-sha256-hex=" + hex.EncodeToString(mac.Sum(nil))
}

// easyPostStatus is the status and status_detail EasyPost would report for
// a simulated event; docs/events.md maps them back.
func easyPostStatus(e shipment.Event) (status, detail string) {
	switch e.Status {
	case shipment.StatusLabelCreated:
		return "pre_transit", "label_created"
	case shipment.StatusInTransit:
		switch scanKind(e.Description) {
		case scanArrival:
			return "in_transit", "arrived_at_facility"
		case scanDeparture:
			return "in_transit", "departed_facility"
		case scanAcceptance:
			return "in_transit", "received_at_origin_facility"
		}
		return "in_transit", "in_transit"
	case shipment.StatusOutForDelivery:
		return "out_for_delivery", "out_for_delivery"
	case shipment.StatusAvailableForPickup:
		return "available_for_pickup", "arrived_at_pickup_location"
	case shipment.StatusDeliveryAttempted:
		return "in_transit", "delivery_exception"
	case shipment.StatusDelivered:
		return "delivered", "arrived_at_destination"
	case shipment.StatusException:
		return "failure", "delivery_exception"
	case shipment.StatusReturnedToSender:
		return "return_to_sender", "return"
	case shipment.StatusCancelled:
		return "cancelled", "cancelled"
	}
	return "unknown", "unknown"
}

// easyPostCarrier writes a carrier code the way EasyPost names carriers.
func easyPostCarrier(c string) string {
	switch strings.ToLower(strings.TrimSpace(c)) {
	case "usps":
		return "USPS"
	case "ups":
		return "UPS"
	case "fedex":
		return "FedEx"
	case "dhl", "dhl_express", "dhlexpress":
		return "DHLExpress"
	}
	return c
}

type scan int

const (
	scanOther scan = iota
	scanAcceptance
	scanArrival
	scanDeparture
)

// scanKind reads which kind of transit scan a simulated description is;
// the vocabularies in places.go keep these first words.
func scanKind(description string) scan {
	d := strings.ToLower(description)
	switch {
	case strings.HasPrefix(d, "accepted"), strings.HasPrefix(d, "picked up"), strings.HasPrefix(d, "origin scan"):
		return scanAcceptance
	case strings.HasPrefix(d, "arrived"):
		return scanArrival
	case strings.HasPrefix(d, "departed"):
		return scanDeparture
	}
	return scanOther
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// mustJSON encodes the builders' own types, which cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("simulate: encode payload: %v", err))
	}
	return b
}
