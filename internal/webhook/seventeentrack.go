package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// SeventeenTrackSignatureHeader carries 17TRACK's "sign": the lower-case
// hex SHA-256 of the raw body, a "/" and the account's security key. It is
// a plain digest, not an HMAC (docs/events.md, Signatures).
const SeventeenTrackSignatureHeader = "Sign"

// The 17TRACK push events (API v2.2).
const (
	seventeenTrackUpdated = "TRACKING_UPDATED"
	seventeenTrackStopped = "TRACKING_STOPPED"
)

// SeventeenTrackSign is the sign 17TRACK sends with body for an account
// key: hex(SHA-256(body || "/" || key)).
func SeventeenTrackSign(body []byte, key string) string {
	h := sha256.New()
	h.Write(body)
	h.Write([]byte{'/'})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifySeventeenTrack checks 17TRACK's sign header against body, the raw
// request bytes as received, under the account's security key. The
// comparison is constant-time.
func VerifySeventeenTrack(body []byte, header http.Header, key string) error {
	if key == "" {
		return ErrNoSecret
	}
	value := strings.TrimSpace(header.Get(SeventeenTrackSignatureHeader))
	if value == "" {
		return ErrMissingSignature
	}
	got, err := hex.DecodeString(value)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: want 64 hex digits", ErrBadSignature)
	}
	want, _ := hex.DecodeString(SeventeenTrackSign(body, key))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrBadSignature
	}
	return nil
}

type seventeenTrackPush struct {
	Event string                  `json:"event"`
	Data  *seventeenTrackPushData `json:"data"`
}

type seventeenTrackPushData struct {
	Number    string              `json:"number"`
	Carrier   json.RawMessage     `json:"carrier"`
	TrackInfo *seventeenTrackInfo `json:"track_info"`
}

type seventeenTrackInfo struct {
	LatestStatus *seventeenTrackStatus `json:"latest_status"`
	LatestEvent  *seventeenTrackEvent  `json:"latest_event"`
	TimeMetrics  *struct {
		EstimatedDeliveryDate *struct {
			From json.RawMessage `json:"from"`
			To   json.RawMessage `json:"to"`
		} `json:"estimated_delivery_date"`
	} `json:"time_metrics"`
	Tracking *struct {
		Providers []*seventeenTrackProvider `json:"providers"`
	} `json:"tracking"`
}

type seventeenTrackStatus struct {
	Status    string `json:"status"`
	SubStatus string `json:"sub_status"`
}

type seventeenTrackProvider struct {
	Provider *struct {
		Key  json.RawMessage `json:"key"`
		Name string          `json:"name"`
	} `json:"provider"`
	Events []*seventeenTrackEvent `json:"events"`
}

type seventeenTrackEvent struct {
	TimeISO     string                 `json:"time_iso"`
	TimeUTC     string                 `json:"time_utc"`
	Description string                 `json:"description"`
	Location    json.RawMessage        `json:"location"`
	Stage       string                 `json:"stage"`
	SubStatus   string                 `json:"sub_status"`
	Address     *seventeenTrackAddress `json:"address"`
}

type seventeenTrackAddress struct {
	Country    string `json:"country"`
	State      string `json:"state"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
}

// ParseSeventeenTrack reads a 17TRACK API v2.2 push. TRACKING_UPDATED
// yields one event per track_info.tracking.providers[].events[] entry (or
// the latest_event alone when no provider lists events); TRACKING_STOPPED
// yields a payload with Stopped set and no events. Malformed input yields a
// *PayloadError naming the JSON path; another event kind yields
// ErrUnsupportedEvent.
func ParseSeventeenTrack(body []byte) (Payload, error) {
	var push seventeenTrackPush
	if err := decodeAt("", body, &push); err != nil {
		return Payload{}, err
	}
	switch push.Event {
	case seventeenTrackUpdated, seventeenTrackStopped:
	case "":
		return Payload{}, &PayloadError{Field: "event", Message: "missing"}
	default:
		return Payload{}, fmt.Errorf("%w: 17track %s", ErrUnsupportedEvent, clip.Quote(push.Event))
	}
	d := push.Data
	if d == nil {
		return Payload{}, &PayloadError{Field: "data", Message: "missing"}
	}
	p := Payload{TrackingNumber: strings.TrimSpace(d.Number), Carrier: numberOrString(d.Carrier)}
	if p.TrackingNumber == "" {
		return p, &PayloadError{Field: "data.number", Message: "missing"}
	}
	if push.Event == seventeenTrackStopped {
		p.Stopped = true
		return p, nil
	}
	info := d.TrackInfo
	if info == nil {
		return p, &PayloadError{Field: "data.track_info", Message: "missing"}
	}
	if m := info.TimeMetrics; m != nil && m.EstimatedDeliveryDate != nil {
		if p.EstimatedDeliveryAt = optionalTime(looseString(m.EstimatedDeliveryDate.To)); p.EstimatedDeliveryAt == nil {
			p.EstimatedDeliveryAt = optionalTime(looseString(m.EstimatedDeliveryDate.From))
		}
	}
	if info.Tracking != nil {
		for i, prov := range info.Tracking.Providers {
			path := index("data.track_info.tracking.providers", i)
			if prov == nil {
				continue
			}
			carrier := p.Carrier
			if prov.Provider != nil && strings.TrimSpace(prov.Provider.Name) != "" {
				carrier = strings.TrimSpace(prov.Provider.Name)
			}
			for j, ev := range prov.Events {
				epath := index(path+".events", j)
				if ev == nil {
					return p, &PayloadError{Field: epath, Message: "missing"}
				}
				e, err := seventeenTrackEventOf(epath, *ev)
				if err != nil {
					return p, err
				}
				e.TrackingNumber, e.Carrier = p.TrackingNumber, carrier
				p.Events = append(p.Events, e)
			}
		}
	}
	if len(p.Events) == 0 && info.LatestEvent != nil {
		e, err := seventeenTrackEventOf("data.track_info.latest_event", *info.LatestEvent)
		if err != nil {
			return p, err
		}
		e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
		p.Events = append(p.Events, e)
	}
	finish(&p)
	return p, nil
}

// seventeenTrackEventOf makes the event of one 17TRACK event. time_utc is
// the instant; time_iso (local time with its offset) serves when it is
// missing. The event's sub_status decides its status; an event without one
// (some carriers' events carry only a stage) is read from its stage.
func seventeenTrackEventOf(path string, ev seventeenTrackEvent) (shipment.Event, error) {
	raw := ev.TimeUTC
	field := path + ".time_utc"
	if strings.TrimSpace(raw) == "" {
		raw, field = ev.TimeISO, path+".time_iso"
	}
	at, err := requireTime(field, raw)
	if err != nil {
		return shipment.Event{}, err
	}
	e := shipment.Event{
		OccurredAt:     at,
		Status:         SeventeenTrackEventStatus(ev.SubStatus, ev.Stage),
		ProviderStatus: strings.TrimSpace(ev.Stage),
		ProviderDetail: strings.TrimSpace(ev.SubStatus),
		Description:    strings.TrimSpace(ev.Description),
		Source:         shipment.SourceSeventeenTrack,
	}
	if a := ev.Address; a != nil {
		e.Location = shipment.Location{
			City: strings.TrimSpace(a.City), Region: strings.TrimSpace(a.State),
			PostalCode: strings.TrimSpace(a.PostalCode), Country: strings.TrimSpace(a.Country),
		}
	}
	if e.Location.City == "" && e.Location.Region == "" && e.Location.PostalCode == "" {
		e.Location.City = looseString(ev.Location)
	}
	return e, nil
}

// numberOrString reads a JSON number or string as text: 17TRACK's carrier
// is a numeric key.
func numberOrString(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseFloat(n.String(), 64); err == nil {
			return n.String()
		}
	}
	return looseString(raw)
}
