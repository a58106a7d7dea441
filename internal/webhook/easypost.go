package webhook

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// easyPostEvent is the envelope EasyPost posts: an Event whose result is
// the object the event is about, a Tracker for tracker.* events.
type easyPostEvent struct {
	ID          string          `json:"id"`
	Object      string          `json:"object"`
	Description string          `json:"description"`
	Result      json.RawMessage `json:"result"`
}

type easyPostTracker struct {
	Object          string          `json:"object"`
	TrackingCode    string          `json:"tracking_code"`
	Status          string          `json:"status"`
	StatusDetail    string          `json:"status_detail"`
	Carrier         string          `json:"carrier"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
	SignedBy        json.RawMessage `json:"signed_by"`
	EstDeliveryDate json.RawMessage `json:"est_delivery_date"`
	TrackingDetails json.RawMessage `json:"tracking_details"`
}

type easyPostDetail struct {
	Message          string                 `json:"message"`
	Description      string                 `json:"description"`
	Status           string                 `json:"status"`
	StatusDetail     string                 `json:"status_detail"`
	Datetime         string                 `json:"datetime"`
	CarrierCode      string                 `json:"carrier_code"`
	EstDeliveryDate  json.RawMessage        `json:"est_delivery_date"`
	TrackingLocation *easyPostTrackLocation `json:"tracking_location"`
}

type easyPostTrackLocation struct {
	City    string `json:"city"`
	State   string `json:"state"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
}

// ParseEasyPost reads an EasyPost webhook Event whose result is a Tracker
// (tracker.created, tracker.updated). Each result.tracking_details[] entry
// becomes one event; a tracker with a status but no details yields one event
// for its current status at its updated_at. Malformed input yields a
// *PayloadError naming the JSON path; an Event about something other than a
// tracker yields ErrUnsupportedEvent with EventID set.
func ParseEasyPost(body []byte) (Payload, error) {
	if p, ok := parseEasyPostWhole(body); ok {
		return p, nil
	}
	return parseEasyPostSteps(body)
}

// parseEasyPostSteps decodes one nesting level at a time, so that an error
// names its JSON path.
func parseEasyPostSteps(body []byte) (Payload, error) {
	var env easyPostEvent
	if err := decodeAt("", body, &env); err != nil {
		return Payload{}, err
	}
	p := Payload{EventID: env.ID}
	if env.Description != "" && !strings.HasPrefix(env.Description, "tracker.") {
		return p, fmt.Errorf("%w: easypost %s", ErrUnsupportedEvent, clip.Quote(env.Description))
	}
	if isNull(env.Result) {
		return p, &PayloadError{Field: "result", Message: "missing"}
	}
	var tr easyPostTracker
	if err := decodeAt("result", env.Result, &tr); err != nil {
		return p, err
	}
	if tr.Object != "" && tr.Object != "Tracker" {
		return p, fmt.Errorf("%w: easypost result %s", ErrUnsupportedEvent, clip.Quote(tr.Object))
	}
	p.TrackingNumber = strings.TrimSpace(tr.TrackingCode)
	if p.TrackingNumber == "" {
		return p, &PayloadError{Field: "result.tracking_code", Message: "missing"}
	}
	p.Carrier = strings.TrimSpace(tr.Carrier)
	p.SignedBy = looseString(tr.SignedBy)
	p.EstimatedDeliveryAt = optionalTime(looseString(tr.EstDeliveryDate))

	details, err := decodeArray("result.tracking_details", tr.TrackingDetails)
	if err != nil {
		return p, err
	}
	for i, raw := range details {
		path := index("result.tracking_details", i)
		e, err := easyPostDetailEvent(path, raw)
		if err != nil {
			return p, err
		}
		e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
		p.Events = append(p.Events, e)
	}
	if len(details) == 0 {
		if e, ok := easyPostCurrent(tr); ok {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	finish(&p)
	return p, nil
}

func easyPostDetailEvent(path string, raw json.RawMessage) (shipment.Event, error) {
	if isNull(raw) {
		return shipment.Event{}, &PayloadError{Field: path, Message: "missing"}
	}
	var d easyPostDetail
	if err := decodeAt(path, raw, &d); err != nil {
		return shipment.Event{}, err
	}
	return easyPostDetailOf(path, d)
}

// easyPostDetailOf makes the event of one decoded tracking detail.
func easyPostDetailOf(path string, d easyPostDetail) (shipment.Event, error) {
	at, err := requireTime(path+".datetime", d.Datetime)
	if err != nil {
		return shipment.Event{}, err
	}
	desc := strings.TrimSpace(d.Message)
	if desc == "" {
		desc = strings.TrimSpace(d.Description)
	}
	e := shipment.Event{
		OccurredAt:          at,
		Status:              EasyPostStatus(d.Status, d.StatusDetail),
		CarrierStatus:       strings.TrimSpace(d.CarrierCode),
		ProviderStatus:      d.Status,
		ProviderDetail:      d.StatusDetail,
		Description:         desc,
		EstimatedDeliveryAt: optionalTime(looseString(d.EstDeliveryDate)),
		Source:              shipment.SourceEasyPost,
	}
	if l := d.TrackingLocation; l != nil {
		e.Location = shipment.Location{
			City:       strings.TrimSpace(l.City),
			Region:     strings.TrimSpace(l.State),
			PostalCode: strings.TrimSpace(l.Zip),
			Country:    strings.TrimSpace(l.Country),
		}
	}
	return e, nil
}

// easyPostCurrent makes the one event a tracker without details still
// tells: its current status as of its last update. "unknown" (EasyPost has
// nothing from the carrier yet) tells nothing, and neither does a tracker
// with no time to place the status at.
func easyPostCurrent(tr easyPostTracker) (shipment.Event, bool) {
	status := strings.TrimSpace(tr.Status)
	if status == "" || strings.EqualFold(status, "unknown") {
		return shipment.Event{}, false
	}
	at, ok := parseTime(tr.UpdatedAt)
	if !ok {
		if at, ok = parseTime(tr.CreatedAt); !ok {
			return shipment.Event{}, false
		}
	}
	return shipment.Event{
		OccurredAt:     at,
		Status:         EasyPostStatus(tr.Status, tr.StatusDetail),
		ProviderStatus: tr.Status,
		ProviderDetail: tr.StatusDetail,
		Source:         shipment.SourceEasyPost,
	}, true
}
