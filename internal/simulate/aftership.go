package simulate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// AfterShip's webhook shapes, as much of them as a receiver could read.
type afterShipWebhook struct {
	Event              string            `json:"event"`
	EventID            string            `json:"event_id"`
	IsTrackingFirstTag bool              `json:"is_tracking_first_tag"`
	Msg                afterShipTracking `json:"msg"`
	TS                 int64             `json:"ts"`
}

type afterShipTracking struct {
	ID                      string                `json:"id"`
	TrackingNumber          string                `json:"tracking_number"`
	Title                   string                `json:"title"`
	Slug                    string                `json:"slug"`
	Active                  bool                  `json:"active"`
	Tag                     string                `json:"tag"`
	Subtag                  string                `json:"subtag"`
	SubtagMessage           string                `json:"subtag_message"`
	SignedBy                *string               `json:"signed_by"`
	ReturnToSender          bool                  `json:"return_to_sender"`
	ExpectedDelivery        *string               `json:"expected_delivery"`
	LatestEstimatedDelivery *afterShipEstimate    `json:"latest_estimated_delivery"`
	CreatedAt               string                `json:"created_at"`
	UpdatedAt               string                `json:"updated_at"`
	LastUpdatedAt           string                `json:"last_updated_at"`
	Checkpoints             []afterShipCheckpoint `json:"checkpoints"`
}

type afterShipEstimate struct {
	Type     string `json:"type"`
	Source   string `json:"source"`
	Datetime string `json:"datetime"`
}

type afterShipCheckpoint struct {
	Slug           string   `json:"slug"`
	CreatedAt      string   `json:"created_at"`
	CheckpointTime string   `json:"checkpoint_time"`
	Location       string   `json:"location"`
	City           *string  `json:"city"`
	State          *string  `json:"state"`
	Zip            *string  `json:"zip"`
	CountryISO3    *string  `json:"country_iso3"`
	CountryName    *string  `json:"country_name"`
	Message        string   `json:"message"`
	Tag            string   `json:"tag"`
	Subtag         string   `json:"subtag"`
	SubtagMessage  string   `json:"subtag_message"`
	RawTag         string   `json:"raw_tag"`
	Coordinates    []string `json:"coordinates"`
}

// afterShipLocalTime is checkpoint_time as AfterShip writes it: the
// carrier's wall-clock time without a zone. The simulator's carriers keep
// UTC, which is how the webhook package reads a zone-less time.
const afterShipLocalTime = "2006-01-02T15:04:05"

// AfterShipPayload renders events, the carrier events of one tracking
// number so far, as the tracking_update AfterShip would post at now: the
// tracking's tag is the last checkpoint's, every event so far is resent as
// a checkpoint, and the latest estimate and signature ride on the tracking.
func AfterShipPayload(trackingNumber, carrier string, events []shipment.Event, now time.Time) []byte {
	now = now.UTC()
	slug := afterShipSlug(carrier)
	tr := afterShipTracking{
		ID:             digest(trackingNumber)[:24],
		TrackingNumber: trackingNumber,
		Title:          trackingNumber,
		Slug:           slug,
		Active:         true,
		Tag:            "Pending",
		Subtag:         "Pending_001",
		SubtagMessage:  "Pending",
		CreatedAt:      now.Format(time.RFC3339),
		UpdatedAt:      now.Format(time.RFC3339),
		LastUpdatedAt:  now.Format(time.RFC3339),
		Checkpoints:    []afterShipCheckpoint{},
	}
	firstTag := len(events) > 0
	for i, e := range events {
		tag, subtag, message := afterShipTag(e)
		country := e.Location.Country
		if country == "US" {
			country = "USA"
		}
		tr.Checkpoints = append(tr.Checkpoints, afterShipCheckpoint{
			Slug:           slug,
			CreatedAt:      now.Format(time.RFC3339),
			CheckpointTime: e.OccurredAt.UTC().Format(afterShipLocalTime),
			Location:       joinNonEmpty(e.Location.City, e.Location.Region, e.Location.PostalCode, country),
			City:           nullable(e.Location.City),
			State:          nullable(e.Location.Region),
			Zip:            nullable(e.Location.PostalCode),
			CountryISO3:    nullable(country),
			CountryName:    nullable(countryName(country)),
			Message:        e.Description,
			Tag:            tag,
			Subtag:         subtag,
			SubtagMessage:  message,
			RawTag:         e.CarrierStatus,
			Coordinates:    []string{},
		})
		if i == 0 {
			tr.CreatedAt = e.OccurredAt.UTC().Format(time.RFC3339)
		}
		if i == len(events)-1 && i > 0 {
			prevTag, _, _ := afterShipTag(events[i-1])
			firstTag = prevTag != tag
		}
		tr.Tag, tr.Subtag, tr.SubtagMessage = tag, subtag, message
		if e.SignedBy != "" {
			tr.SignedBy = &events[i].SignedBy
		}
		if e.EstimatedDeliveryAt != nil {
			edd := e.EstimatedDeliveryAt.UTC()
			day := edd.Format(time.DateOnly)
			tr.ExpectedDelivery = &day
			tr.LatestEstimatedDelivery = &afterShipEstimate{Type: "specific", Source: "Carrier EDD", Datetime: edd.Format(time.RFC3339)}
		}
	}
	tr.ReturnToSender = tr.Subtag == "Exception_010" || tr.Subtag == "Exception_011"
	tr.Active = tr.Tag != "Delivered" && tr.Tag != "Expired" && tr.Subtag != "Exception_011"
	return mustJSON(afterShipWebhook{
		Event:              "tracking_update",
		EventID:            uuidLike(fmt.Sprint(trackingNumber, len(events), now.UnixNano())),
		IsTrackingFirstTag: firstTag,
		Msg:                tr,
		TS:                 now.Unix(),
	})
}

// SignAfterShip returns the header AfterShip would sign body with: the
// base64 HMAC-SHA256 of the body keyed with the secret's UTF-8 bytes.
func SignAfterShip(body []byte, secret string) (header, value string) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "aftership-hmac-sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// afterShipTag is the tag, subtag and subtag message AfterShip would give
// a simulated event; docs/events.md maps them back. AfterShip has no tag
// for a cancelled label: it stays Pending.
func afterShipTag(e shipment.Event) (tag, subtag, message string) {
	switch e.Status {
	case shipment.StatusLabelCreated:
		return "InfoReceived", "InfoReceived_001", "Info Received"
	case shipment.StatusInTransit:
		switch scanKind(e.Description) {
		case scanAcceptance:
			return "InTransit", "InTransit_002", "Acceptance scan"
		case scanArrival:
			return "InTransit", "InTransit_003", "Arrival scan"
		case scanDeparture:
			return "InTransit", "InTransit_007", "Departure Scan"
		}
		return "InTransit", "InTransit_001", "In Transit"
	case shipment.StatusOutForDelivery:
		return "OutForDelivery", "OutForDelivery_001", "Out for Delivery"
	case shipment.StatusAvailableForPickup:
		return "AvailableForPickup", "AvailableForPickup_001", "Available for pickup"
	case shipment.StatusDeliveryAttempted:
		return "AttemptFail", "AttemptFail_001", "Failed Attempt"
	case shipment.StatusDelivered:
		if e.SignedBy != "" {
			return "Delivered", "Delivered_003", "Sign by customer"
		}
		return "Delivered", "Delivered_001", "Delivered"
	case shipment.StatusException:
		return "Exception", "Exception_001", "Exception"
	case shipment.StatusReturnedToSender:
		if strings.HasPrefix(strings.ToLower(e.Description), "returned") {
			return "Exception", "Exception_011", "Returned to sender"
		}
		return "Exception", "Exception_010", "Returning to sender"
	}
	return "Pending", "Pending_001", "Pending"
}

// afterShipSlug writes a carrier code as an AfterShip courier slug.
func afterShipSlug(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	switch c {
	case "dhl_express", "dhlexpress":
		return "dhl"
	}
	return strings.ReplaceAll(c, "_", "-")
}

// uuidLike formats a digest of s as a version-4-shaped UUID, stable for
// the same s, the way AfterShip event ids look.
func uuidLike(s string) string {
	h := digest(s)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// countryName names the one country the simulator ships in.
func countryName(iso3 string) string {
	if iso3 == "USA" {
		return "United States"
	}
	return ""
}

func joinNonEmpty(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}
