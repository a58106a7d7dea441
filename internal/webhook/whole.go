package webhook

import (
	"encoding/json"
	"strings"
)

// The parsers first try to decode a body in one pass into types that hold
// the whole webhook. That is the common case, a well-formed tracker
// update, and it reads the bytes twice (validation and decoding) instead
// of once per nesting level. Anything it does not accept outright (a
// decoding error, a null where an object must be, a bad event time, a
// webhook of another kind) goes to the step-by-step parse, which names
// the JSON path of the fault. Both give the same payload for the same
// body: TestWholeParseAgrees and the fuzz tests hold them to it.

type easyPostEventWhole struct {
	ID          string                `json:"id"`
	Description string                `json:"description"`
	Result      *easyPostTrackerWhole `json:"result"`
}

// easyPostTrackerWhole shadows the tracker's raw tracking_details with
// decoded ones.
type easyPostTrackerWhole struct {
	easyPostTracker
	TrackingDetails []*easyPostDetail `json:"tracking_details"`
}

func parseEasyPostWhole(body []byte) (Payload, bool) {
	var env easyPostEventWhole
	if json.Unmarshal(body, &env) != nil || env.Result == nil {
		return Payload{}, false
	}
	if env.Description != "" && !strings.HasPrefix(env.Description, "tracker.") {
		return Payload{}, false
	}
	tr := env.Result
	if tr.Object != "" && tr.Object != "Tracker" {
		return Payload{}, false
	}
	p := Payload{EventID: env.ID, TrackingNumber: strings.TrimSpace(tr.TrackingCode)}
	if p.TrackingNumber == "" {
		return Payload{}, false
	}
	p.Carrier = strings.TrimSpace(tr.Carrier)
	p.SignedBy = looseString(tr.SignedBy)
	p.EstimatedDeliveryAt = optionalTime(looseString(tr.EstDeliveryDate))
	for _, d := range tr.TrackingDetails {
		if d == nil {
			return Payload{}, false
		}
		e, err := easyPostDetailOf("", *d)
		if err != nil {
			return Payload{}, false
		}
		e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
		p.Events = append(p.Events, e)
	}
	if len(tr.TrackingDetails) == 0 {
		if e, ok := easyPostCurrent(tr.easyPostTracker); ok {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	finish(&p)
	return p, true
}

type afterShipEnvelopeWhole struct {
	EventID string                  `json:"event_id"`
	Event   string                  `json:"event"`
	Msg     *afterShipTrackingWhole `json:"msg"`
}

type afterShipTrackingWhole struct {
	afterShipTracking
	Checkpoints []*afterShipCheckpoint `json:"checkpoints"`
}

func parseAfterShipWhole(body []byte) (Payload, bool) {
	var env afterShipEnvelopeWhole
	if json.Unmarshal(body, &env) != nil || env.Msg == nil {
		return Payload{}, false
	}
	if env.Event != "" && env.Event != "tracking_update" {
		return Payload{}, false
	}
	tr := env.Msg
	p := Payload{EventID: env.EventID, TrackingNumber: strings.TrimSpace(tr.TrackingNumber)}
	if p.TrackingNumber == "" {
		return Payload{}, false
	}
	p.Carrier = strings.TrimSpace(tr.Slug)
	p.SignedBy = looseString(tr.SignedBy)
	p.EstimatedDeliveryAt = afterShipEstimate(tr.afterShipTracking)
	for _, c := range tr.Checkpoints {
		if c == nil {
			return Payload{}, false
		}
		e, err := afterShipCheckpointOf("", *c)
		if err != nil {
			return Payload{}, false
		}
		e.TrackingNumber = p.TrackingNumber
		if e.Carrier == "" {
			e.Carrier = p.Carrier
		}
		p.Events = append(p.Events, e)
	}
	if len(tr.Checkpoints) == 0 {
		if e, ok := afterShipCurrent(tr.afterShipTracking); ok {
			e.TrackingNumber, e.Carrier = p.TrackingNumber, p.Carrier
			p.Events = append(p.Events, e)
		}
	}
	finish(&p)
	return p, true
}
