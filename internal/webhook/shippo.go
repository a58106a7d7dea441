package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// ShippoTokenParam is the query parameter of a Shippo webhook URL that
// carries the source's token: Shippo's documented way to authenticate its
// webhooks is a self-generated token appended to the URL as ?token=.
const ShippoTokenParam = "token"

// HashToken is what a Shippo source keeps of its URL token: its SHA-256.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// VerifyToken checks a URL token against the stored hash in constant
// time. An empty token is missing; an empty hash means the source has none.
func VerifyToken(token string, hash []byte) error {
	if len(hash) == 0 {
		return ErrNoSecret
	}
	if token == "" {
		return ErrMissingSignature
	}
	if subtle.ConstantTimeCompare(HashToken(token), hash) != 1 {
		return ErrBadSignature
	}
	return nil
}

const shippoTrackUpdated = "track_updated"

type shippoWebhook struct {
	Event string          `json:"event"`
	Data  *shippoTracking `json:"data"`
}

type shippoTracking struct {
	Carrier         string                  `json:"carrier"`
	TrackingNumber  string                  `json:"tracking_number"`
	ETA             json.RawMessage         `json:"eta"`
	TrackingStatus  *shippoTrackingStatus   `json:"tracking_status"`
	TrackingHistory []*shippoTrackingStatus `json:"tracking_history"`
}

type shippoTrackingStatus struct {
	ObjectID      string           `json:"object_id"`
	Status        string           `json:"status"`
	StatusDetails string           `json:"status_details"`
	StatusDate    string           `json:"status_date"`
	Substatus     *shippoSubstatus `json:"substatus"`
	Location      *shippoLocation  `json:"location"`
}

type shippoSubstatus struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

type shippoLocation struct {
	City    string `json:"city"`
	State   string `json:"state"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
}

// ParseShippo reads a Shippo track_updated webhook, whose data is a
// Tracking object. Each data.tracking_history[] entry becomes one event,
// and data.tracking_status too unless the history lists it already (it is
// the latest entry, so it usually does); data.eta is the carrier's
// estimate.
// Shippo documents that tracking webhooks are not idempotent: callers
// dedupe with Fingerprint. Malformed input yields a *PayloadError naming
// the JSON path; another event yields ErrUnsupportedEvent.
func ParseShippo(body []byte) (Payload, error) {
	var wh shippoWebhook
	if err := decodeAt("", body, &wh); err != nil {
		return Payload{}, err
	}
	if wh.Event != "" && wh.Event != shippoTrackUpdated {
		return Payload{}, fmt.Errorf("%w: shippo %s", ErrUnsupportedEvent, clip.Quote(wh.Event))
	}
	tr := wh.Data
	if tr == nil {
		return Payload{}, &PayloadError{Field: "data", Message: "missing"}
	}
	p := Payload{TrackingNumber: strings.TrimSpace(tr.TrackingNumber), Carrier: strings.TrimSpace(tr.Carrier)}
	if p.TrackingNumber == "" {
		return p, &PayloadError{Field: "data.tracking_number", Message: "missing"}
	}
	if tr.TrackingStatus != nil {
		p.EventID = strings.TrimSpace(tr.TrackingStatus.ObjectID)
	}
	p.EstimatedDeliveryAt = optionalTime(looseString(tr.ETA))
	for i, st := range tr.TrackingHistory {
		path := index("data.tracking_history", i)
		if st == nil {
			return p, &PayloadError{Field: path, Message: "missing"}
		}
		e, ok, err := shippoEventOf(path, *st)
		if err != nil {
			return p, err
		}
		if ok {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	if st := tr.TrackingStatus; st != nil {
		e, ok, err := shippoEventOf("data.tracking_status", *st)
		if err != nil {
			return p, err
		}
		if ok && !listed(p.Events, e) {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	finish(&p)
	return p, nil
}

// shippoEventOf makes the event of one tracking status. UNKNOWN with no
// date is Shippo saying it has nothing yet: no event, not an error.
func shippoEventOf(path string, st shippoTrackingStatus) (shipment.Event, bool, error) {
	if strings.TrimSpace(st.StatusDate) == "" && (st.Status == "" || strings.EqualFold(st.Status, "UNKNOWN")) {
		return shipment.Event{}, false, nil
	}
	at, err := requireTime(path+".status_date", st.StatusDate)
	if err != nil {
		return shipment.Event{}, false, err
	}
	e := shipment.Event{
		OccurredAt:     at,
		ProviderStatus: strings.TrimSpace(st.Status),
		Description:    strings.TrimSpace(st.StatusDetails),
		Source:         shipment.SourceShippo,
	}
	if sub := st.Substatus; sub != nil {
		e.ProviderDetail = strings.TrimSpace(sub.Code)
		if e.Description == "" {
			e.Description = strings.TrimSpace(sub.Text)
		}
	}
	e.Status = ShippoStatus(e.ProviderStatus, e.ProviderDetail)
	if l := st.Location; l != nil {
		e.Location = shipment.Location{
			City: strings.TrimSpace(l.City), Region: strings.TrimSpace(l.State),
			PostalCode: strings.TrimSpace(l.Zip), Country: strings.TrimSpace(l.Country),
		}
	}
	return e, true, nil
}

// listed reports whether evs holds an event that would fingerprint as e:
// the same time, raw status, description and place.
func listed(evs []shipment.Event, e shipment.Event) bool {
	for i := len(evs) - 1; i >= 0; i-- {
		o := evs[i]
		if o.OccurredAt.Equal(e.OccurredAt) && o.ProviderStatus == e.ProviderStatus && o.ProviderDetail == e.ProviderDetail &&
			o.Description == e.Description && o.Location == e.Location {
			return true
		}
	}
	return false
}
