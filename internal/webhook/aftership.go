package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// afterShipEnvelope is AfterShip's webhook body: event, event_id, msg (the
// tracking) and ts.
type afterShipEnvelope struct {
	EventID string          `json:"event_id"`
	Event   string          `json:"event"`
	Msg     json.RawMessage `json:"msg"`
}

type afterShipTracking struct {
	TrackingNumber string          `json:"tracking_number"`
	Slug           string          `json:"slug"`
	Tag            string          `json:"tag"`
	Subtag         string          `json:"subtag"`
	SubtagMessage  string          `json:"subtag_message"`
	UpdatedAt      string          `json:"updated_at"`
	LastUpdatedAt  string          `json:"last_updated_at"`
	SignedBy       json.RawMessage `json:"signed_by"`
	Checkpoints    json.RawMessage `json:"checkpoints"`

	// Delivery estimates, which have moved between API versions.
	LatestEstimatedDelivery   json.RawMessage `json:"latest_estimated_delivery"`
	CourierEstimatedDelivery  json.RawMessage `json:"courier_estimated_delivery_date"`
	ExpectedDelivery          json.RawMessage `json:"expected_delivery"`
	AfterShipEstimatedDeliver json.RawMessage `json:"aftership_estimated_delivery_date"`
}

type afterShipCheckpoint struct {
	CheckpointTime string          `json:"checkpoint_time"`
	Message        string          `json:"message"`
	Tag            string          `json:"tag"`
	Subtag         string          `json:"subtag"`
	SubtagMessage  string          `json:"subtag_message"`
	RawTag         string          `json:"raw_tag"`
	Slug           string          `json:"slug"`
	Location       json.RawMessage `json:"location"`
	City           string          `json:"city"`
	State          string          `json:"state"`
	Zip            string          `json:"zip"`
	PostalCode     string          `json:"postal_code"`
	CountryISO3    string          `json:"country_iso3"`
	CountryRegion  string          `json:"country_region"`
}

// ParseAfterShip reads an AfterShip tracking_update webhook. Each
// msg.checkpoints[] entry becomes one event; AfterShip resends every
// checkpoint in every update, so callers dedupe with Fingerprint. A tracking
// without checkpoints yields one event for its tag at its updated_at, unless
// the tag is Pending (AfterShip has nothing yet) or no update time is given.
// Malformed input yields a *PayloadError naming the JSON path; another event
// kind yields ErrUnsupportedEvent with EventID set.
func ParseAfterShip(body []byte) (Payload, error) {
	if p, ok := parseAfterShipWhole(body); ok {
		return p, nil
	}
	return parseAfterShipSteps(body)
}

// parseAfterShipSteps decodes one nesting level at a time, so that an error
// names its JSON path.
func parseAfterShipSteps(body []byte) (Payload, error) {
	var env afterShipEnvelope
	if err := decodeAt("", body, &env); err != nil {
		return Payload{}, err
	}
	p := Payload{EventID: env.EventID}
	if env.Event != "" && env.Event != "tracking_update" {
		return p, fmt.Errorf("%w: aftership %s", ErrUnsupportedEvent, clip.Quote(env.Event))
	}
	if isNull(env.Msg) {
		return p, &PayloadError{Field: "msg", Message: "missing"}
	}
	var tr afterShipTracking
	if err := decodeAt("msg", env.Msg, &tr); err != nil {
		return p, err
	}
	p.TrackingNumber = strings.TrimSpace(tr.TrackingNumber)
	if p.TrackingNumber == "" {
		return p, &PayloadError{Field: "msg.tracking_number", Message: "missing"}
	}
	p.Carrier = strings.TrimSpace(tr.Slug)
	p.SignedBy = looseString(tr.SignedBy)
	p.EstimatedDeliveryAt = afterShipEstimate(tr)

	checkpoints, err := decodeArray("msg.checkpoints", tr.Checkpoints)
	if err != nil {
		return p, err
	}
	for i, raw := range checkpoints {
		e, err := afterShipCheckpointEvent(index("msg.checkpoints", i), raw)
		if err != nil {
			return p, err
		}
		e.TrackingNumber = p.TrackingNumber
		if e.Carrier == "" {
			e.Carrier = p.Carrier
		}
		p.Events = append(p.Events, e)
	}
	if len(checkpoints) == 0 {
		if e, ok := afterShipCurrent(tr); ok {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	finish(&p)
	return p, nil
}

func afterShipCheckpointEvent(path string, raw json.RawMessage) (shipment.Event, error) {
	if isNull(raw) {
		return shipment.Event{}, &PayloadError{Field: path, Message: "missing"}
	}
	var c afterShipCheckpoint
	if err := decodeAt(path, raw, &c); err != nil {
		return shipment.Event{}, err
	}
	return afterShipCheckpointOf(path, c)
}

// afterShipCheckpointOf makes the event of one decoded checkpoint.
func afterShipCheckpointOf(path string, c afterShipCheckpoint) (shipment.Event, error) {
	at, err := requireTime(path+".checkpoint_time", c.CheckpointTime)
	if err != nil {
		return shipment.Event{}, err
	}
	desc := strings.TrimSpace(c.Message)
	if desc == "" {
		desc = strings.TrimSpace(c.SubtagMessage)
	}
	return shipment.Event{
		Carrier:        strings.TrimSpace(c.Slug),
		OccurredAt:     at,
		Status:         AfterShipStatus(c.Tag, c.Subtag),
		CarrierStatus:  strings.TrimSpace(c.RawTag),
		ProviderStatus: c.Tag,
		ProviderDetail: c.Subtag,
		Description:    desc,
		Location:       afterShipLocation(c),
		Source:         shipment.SourceAfterShip,
	}, nil
}

// afterShipLocation prefers the structured fields; a checkpoint that has
// only the free-text location keeps it as the city rather than losing it.
func afterShipLocation(c afterShipCheckpoint) shipment.Location {
	l := shipment.Location{
		City:       strings.TrimSpace(c.City),
		Region:     strings.TrimSpace(c.State),
		PostalCode: strings.TrimSpace(c.Zip),
		Country:    strings.TrimSpace(c.CountryISO3),
	}
	if l.PostalCode == "" {
		l.PostalCode = strings.TrimSpace(c.PostalCode)
	}
	if l.Country == "" {
		l.Country = strings.TrimSpace(c.CountryRegion)
	}
	if l.City == "" && l.Region == "" && l.PostalCode == "" {
		l.City = looseString(c.Location)
	}
	return l
}

// afterShipCurrent makes the one event a tracking without checkpoints still
// tells: its tag as of its last update. Pending means AfterShip has nothing
// from the carrier, so it tells nothing.
func afterShipCurrent(tr afterShipTracking) (shipment.Event, bool) {
	tag := strings.TrimSpace(tr.Tag)
	if tag == "" || strings.EqualFold(tag, "Pending") {
		return shipment.Event{}, false
	}
	at, ok := parseTime(tr.UpdatedAt)
	if !ok {
		if at, ok = parseTime(tr.LastUpdatedAt); !ok {
			return shipment.Event{}, false
		}
	}
	return shipment.Event{
		OccurredAt:     at,
		Status:         AfterShipStatus(tr.Tag, tr.Subtag),
		ProviderStatus: tr.Tag,
		ProviderDetail: tr.Subtag,
		Description:    strings.TrimSpace(tr.SubtagMessage),
		Source:         shipment.SourceAfterShip,
	}, true
}

// afterShipEstimate picks the delivery estimate: the latest one AfterShip
// settled on, else the carrier's, else the legacy expected_delivery, else
// AfterShip's own prediction. Unreadable estimates are skipped.
func afterShipEstimate(tr afterShipTracking) *time.Time {
	candidates := []string{
		objectString(tr.LatestEstimatedDelivery, "datetime"),
		objectString(tr.CourierEstimatedDelivery, "estimated_delivery_date"),
		looseString(tr.ExpectedDelivery),
		objectString(tr.AfterShipEstimatedDeliver, "estimated_delivery_date"),
	}
	for _, c := range candidates {
		if t := optionalTime(c); t != nil {
			return t
		}
	}
	return nil
}

// objectString reads one string member of a JSON object, ignoring any
// other shape.
func objectString(raw json.RawMessage, key string) string {
	var obj map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	return looseString(obj[key])
}
