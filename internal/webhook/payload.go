package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Payload is what one provider webhook says about one tracking number.
type Payload struct {
	// EventID is the provider's id for this webhook delivery (EasyPost
	// Event id, AfterShip event_id), for logs and delivery dedupe.
	EventID        string
	TrackingNumber string
	// Carrier is the provider's carrier name or slug ("FedEx", "usps").
	Carrier string
	// Events are the carrier events in the order the provider listed
	// them, not sorted: providers send stale or out-of-order details and
	// the ordering rule belongs to the caller.
	Events []shipment.Event
	// EstimatedDeliveryAt is the provider's current delivery estimate.
	EstimatedDeliveryAt *time.Time
	// SignedBy is who signed for the parcel, when delivered with a signature.
	SignedBy string
	// Stopped says the provider stopped tracking the number (17TRACK's
	// TRACKING_STOPPED); such a payload has no events.
	Stopped bool
}

// PayloadError says which part of a webhook body is malformed. Field is the
// JSON path of the offending value ("result.tracking_details[2].datetime"),
// empty for the body as a whole.
type PayloadError struct {
	Field   string
	Message string
}

// Error returns the JSON path and the problem, as in
// "result.tracking_details[2].datetime: not a time".
func (e *PayloadError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// ErrUnsupportedEvent means the body is a well-formed provider webhook of a
// kind that carries no tracking (an EasyPost "batch.created", an AfterShip
// event other than tracking_update). A receiver acknowledges it and drops
// it, since refusing would only make the provider retry.
var ErrUnsupportedEvent = errors.New("webhook: not a tracking event")

// decodeAt unmarshals raw into v and turns encoding/json's errors into a
// *PayloadError rooted at path.
func decodeAt(path string, raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &PayloadError{
			Field:   joinPath(path, typeErr.Field),
			Message: fmt.Sprintf("not %s (got %s)", jsonKind(typeErr.Type), clip.Text(typeErr.Value)),
		}
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return &PayloadError{Field: path, Message: clip.Text(fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err))}
	}
	return &PayloadError{Field: path, Message: clip.Text("malformed JSON: " + err.Error())}
}

// decodeArray splits a JSON array into its elements, so that each can be
// decoded on its own and an error can name its index. A missing or null
// array is empty.
func decodeArray(path string, raw json.RawMessage) ([]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := decodeAt(path, raw, &items); err != nil {
		return nil, err
	}
	return items, nil
}

// looseString reads a JSON string and ignores anything else. It is used for
// auxiliary fields (estimates, signatures) whose shape has changed across
// provider API versions: an odd estimate must not cost the carrier events.
func looseString(raw json.RawMessage) string {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func joinPath(base, field string) string {
	switch {
	case field == "":
		return base
	case base == "":
		return field
	}
	return base + "." + field
}

func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// jsonKind names a Go destination type the way a JSON author thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "a number"
	}
}

// timeLayouts are the shapes the providers use, most common first. A time
// without a zone is read as UTC wall-clock time: AfterShip's checkpoint_time
// is the carrier's local time with the zone dropped, and no reliable zone can
// be recovered from a free-text location. Reading it as UTC keeps it stable
// across resends (so fingerprints match) and keeps one tracking's checkpoints
// in the carrier's order; the cost is an offset of a few hours.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// parseTime parses a provider timestamp into UTC. A date alone is midnight
// UTC, as EasyPost writes its own date-only estimates.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// requireTime parses a mandatory event time, or says why it cannot.
func requireTime(path, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, &PayloadError{Field: path, Message: "missing"}
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, &PayloadError{Field: path, Message: "not a time"}
	}
	return t, nil
}

// optionalTime parses an auxiliary time and drops what it cannot read.
func optionalTime(s string) *time.Time {
	t, ok := parseTime(s)
	if !ok {
		return nil
	}
	return &t
}

// finish applies what a tracker says about all its events: the estimate
// goes on every event that has none of its own, the signature on the
// delivered ones.
func finish(p *Payload) {
	for i := range p.Events {
		e := &p.Events[i]
		if e.EstimatedDeliveryAt == nil && p.EstimatedDeliveryAt != nil {
			t := *p.EstimatedDeliveryAt
			e.EstimatedDeliveryAt = &t
		}
		if e.Status == shipment.StatusDelivered && e.SignedBy == "" {
			e.SignedBy = p.SignedBy
		}
	}
}
