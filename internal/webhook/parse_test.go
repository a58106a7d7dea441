package webhook

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

func TestParseEasyPostTrackerUpdated(t *testing.T) {
	got, err := ParseEasyPost(readFixture(t, "easypost-tracker-updated-fixture.json"))
	if err != nil {
		t.Fatalf("ParseEasyPost() error = %v", err)
	}
	edd := ptr(at("2024-08-05T00:00:00Z"))
	ev := func(when, status, detail, code, msg string, loc shipment.Location, want shipment.Status) shipment.Event {
		return shipment.Event{
			TrackingNumber: "1", Carrier: "FedEx", OccurredAt: at(when), Status: want,
			CarrierStatus: code, ProviderStatus: status, ProviderDetail: detail, Description: msg,
			Location: loc, EstimatedDeliveryAt: edd, Source: shipment.SourceEasyPost,
		}
	}
	orlando := shipment.Location{City: "ORLANDO", Region: "FL", PostalCode: "32809", Country: "US"}
	want := Payload{
		EventID: "evt_1", TrackingNumber: "1", Carrier: "FedEx", EstimatedDeliveryAt: edd,
		Events: []shipment.Event{
			ev("2024-07-31T15:00:00Z", "pre_transit", "label_created", "OC", "Shipment information sent to FedEx",
				shipment.Location{PostalCode: "32837", Country: "US"}, shipment.StatusLabelCreated),
			ev("2024-07-31T19:27:00Z", "in_transit", "arrived_at_facility", "PU", "Picked up", orlando, shipment.StatusInTransit),
			ev("2024-07-31T22:35:00Z", "in_transit", "arrived_at_facility", "AR", "Arrived at FedEx location", orlando, shipment.StatusInTransit),
			ev("2024-08-01T14:42:13Z", "in_transit", "departed_facility", "DP", "Departed FedEx location", orlando, shipment.StatusInTransit),
			ev("2024-08-02T02:46:19Z", "in_transit", "unknown", "IT", "On the way",
				shipment.Location{City: "KENLY", Region: "NC", PostalCode: "27542", Country: "US"}, shipment.StatusInTransit),
			ev("2024-08-02T18:35:20Z", "in_transit", "unknown", "IT", "On the way",
				shipment.Location{City: "EDISON TWP", Region: "NJ", PostalCode: "08817", Country: "US"}, shipment.StatusInTransit),
			ev("2024-08-02T18:50:00Z", "in_transit", "arrived_at_facility", "AR", "Arrived at FedEx location",
				shipment.Location{City: "EDISON", Region: "NJ", PostalCode: "08817", Country: "US"}, shipment.StatusInTransit),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseEasyPost() mismatch (-want +got):\n%s", diff)
	}
}

// The tracking guide's DELIVERED detail is dated before the scans listed
// above it. The parser keeps the provider's order and times as they are.
func TestParseEasyPostGuideStaleDelivered(t *testing.T) {
	got, err := ParseEasyPost(readFixture(t, "easypost-tracking-guide-webhook.json"))
	if err != nil {
		t.Fatalf("ParseEasyPost() error = %v", err)
	}
	if got.EventID != "evt_..." || got.TrackingNumber != "EZ4000000004" || got.Carrier != "UPS" || got.SignedBy != "John Tester" {
		t.Errorf("ParseEasyPost() header = %q %q %q %q", got.EventID, got.TrackingNumber, got.Carrier, got.SignedBy)
	}
	type brief struct {
		At       time.Time
		Status   shipment.Status
		Desc     string
		City     string
		SignedBy string
	}
	want := []brief{
		{at("2014-11-21T14:24:00Z"), shipment.StatusLabelCreated, "BILLING INFORMATION RECEIVED", "", ""},
		{at("2014-11-21T14:48:00Z"), shipment.StatusInTransit, "ORIGIN SCAN", "SOUTH SAN FRANCISCO", ""},
		{at("2014-11-22T08:51:00Z"), shipment.StatusInTransit, "DEPARTURE SCAN", "SOUTH SAN FRANCISCO", ""},
		{at("2014-11-23T09:31:00Z"), shipment.StatusInTransit, "ARRIVAL SCAN", "SAN FRANCISCO", ""},
		{at("2014-11-24T08:10:00Z"), shipment.StatusOutForDelivery, "OUT FOR DELIVERY", "SAN FRANCISCO", ""},
		{at("2014-11-19T10:51:54Z"), shipment.StatusDelivered, "DELIVERED", "SAN FRANCISCO", "John Tester"},
	}
	var gotBrief []brief
	for _, e := range got.Events {
		gotBrief = append(gotBrief, brief{e.OccurredAt, e.Status, e.Description, e.Location.City, e.SignedBy})
		if e.EstimatedDeliveryAt == nil || !e.EstimatedDeliveryAt.Equal(at("2014-11-27T00:00:00Z")) {
			t.Errorf("event %q EstimatedDeliveryAt = %v, want 2014-11-27", e.Description, e.EstimatedDeliveryAt)
		}
	}
	if diff := cmp.Diff(want, gotBrief); diff != "" {
		t.Errorf("ParseEasyPost() events mismatch (-want +got):\n%s", diff)
	}
}

func TestParseAfterShipLegacyFull(t *testing.T) {
	got, err := ParseAfterShip(readFixture(t, "aftership-tracking-update-legacy-full.json"))
	if err != nil {
		t.Fatalf("ParseAfterShip() error = %v", err)
	}
	// expected_delivery wins over AfterShip's own (here nonsensical) 2022 guess.
	edd := ptr(at("2021-05-17T00:00:00Z"))
	const tn = "9405516902697649303570"
	ev := func(when, tag, subtag, raw, msg string, loc shipment.Location, want shipment.Status) shipment.Event {
		return shipment.Event{
			TrackingNumber: tn, Carrier: "usps", OccurredAt: at(when), Status: want,
			CarrierStatus: raw, ProviderStatus: tag, ProviderDetail: subtag, Description: msg,
			Location: loc, EstimatedDeliveryAt: edd, Source: shipment.SourceAfterShip,
		}
	}
	boca := shipment.Location{City: "BOCA RATON", Region: "FL", PostalCode: "33487", Country: "USA"}
	wpb := shipment.Location{City: "WEST PALM BEACH FL DISTRIBUTION CENTER", Country: "USA"}
	fay := shipment.Location{City: "FAYETTEVILLE NC DISTRIBUTION CENTER ANNEX", Country: "USA"}
	want := Payload{
		EventID: "bca2a741-8613-4694-bfb4-2ceb0016ee4f", TrackingNumber: tn, Carrier: "usps", EstimatedDeliveryAt: edd,
		Events: []shipment.Event{
			// checkpoint_time has no zone: read as UTC wall-clock time.
			ev("2021-05-13T13:04:00Z", "InfoReceived", "InfoReceived_001", "GX", "Shipping Label Created, USPS Awaiting Item", boca, shipment.StatusLabelCreated),
			ev("2021-05-13T18:10:00Z", "InTransit", "InTransit_002", "OA", "Accepted at USPS Origin Facility", boca, shipment.StatusInTransit),
			ev("2021-05-13T19:25:00Z", "InTransit", "InTransit_003", "10", "Arrived at USPS Regional Origin Facility", wpb, shipment.StatusInTransit),
			ev("2021-05-14T00:25:00Z", "InTransit", "InTransit_007", "10", "Departed USPS Regional Origin Facility", wpb, shipment.StatusInTransit),
			ev("2021-05-15T13:06:00Z", "InTransit", "InTransit_003", "10", "Arrived at USPS Regional Destination Facility", fay, shipment.StatusInTransit),
			ev("2021-05-16T05:52:00Z", "InTransit", "InTransit_007", "T1", "Departed USPS Regional Facility", fay, shipment.StatusInTransit),
			ev("2021-05-17T03:45:00Z", "InTransit", "InTransit_003", "07", "Arrived at Post Office",
				shipment.Location{City: "HOLLY RIDGE", Region: "NC", PostalCode: "28445", Country: "USA"}, shipment.StatusInTransit),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseAfterShip() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseAfterShipTrimmed(t *testing.T) {
	got, err := ParseAfterShip(readFixture(t, "aftership-tracking-update-trimmed-2026-07.json"))
	if err != nil {
		t.Fatalf("ParseAfterShip() error = %v", err)
	}
	want := Payload{
		EventID: "94dadd60-ed26-46d0-aa52-3ced925a50ff", TrackingNumber: "0000000000000000", Carrier: "usps",
		Events: []shipment.Event{{
			TrackingNumber: "0000000000000000", Carrier: "usps", OccurredAt: at("2021-01-14T00:52:00Z"),
			Status: shipment.StatusInTransit, ProviderStatus: "InTransit", ProviderDetail: "InTransit_001",
			Description: "Departed Shipping Partner Facility, USPS Awaiting Item", Source: shipment.SourceAfterShip,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseAfterShip() mismatch (-want +got):\n%s", diff)
	}
}

// A tracker or tracking with no detail list still says where it stands.
func TestParseWithoutDetails(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) (Payload, error)
		body  string
		want  []shipment.Event
	}{
		{"easypost status at updated_at", ParseEasyPost,
			`{"description":"tracker.updated","result":{"tracking_code":"EZ1","carrier":"USPS","status":"delivered","status_detail":"arrived_at_destination","signed_by":"Ann","updated_at":"2024-03-01T10:00:00Z","tracking_details":[]}}`,
			[]shipment.Event{{TrackingNumber: "EZ1", Carrier: "USPS", OccurredAt: at("2024-03-01T10:00:00Z"), Status: shipment.StatusDelivered,
				ProviderStatus: "delivered", ProviderDetail: "arrived_at_destination", SignedBy: "Ann", Source: shipment.SourceEasyPost}}},
		{"easypost falls back to created_at", ParseEasyPost,
			`{"result":{"tracking_code":"EZ1","status":"pre_transit","created_at":"2024-03-01T09:00:00Z"}}`,
			[]shipment.Event{{TrackingNumber: "EZ1", OccurredAt: at("2024-03-01T09:00:00Z"), Status: shipment.StatusLabelCreated,
				ProviderStatus: "pre_transit", Source: shipment.SourceEasyPost}}},
		{"easypost unknown tells nothing", ParseEasyPost,
			`{"result":{"tracking_code":"EZ1","status":"unknown","updated_at":"2024-03-01T10:00:00Z"}}`, nil},
		{"easypost no time tells nothing", ParseEasyPost,
			`{"result":{"tracking_code":"EZ1","status":"in_transit"}}`, nil},
		{"aftership tag at updated_at", ParseAfterShip,
			`{"event":"tracking_update","msg":{"tracking_number":"AS1","slug":"ups","tag":"Expired","subtag":"Expired_001","subtag_message":"Expired","updated_at":"2024-03-01T10:00:00+02:00","checkpoints":[]}}`,
			[]shipment.Event{{TrackingNumber: "AS1", Carrier: "ups", OccurredAt: at("2024-03-01T08:00:00Z"), Status: shipment.StatusException,
				ProviderStatus: "Expired", ProviderDetail: "Expired_001", Description: "Expired", Source: shipment.SourceAfterShip}}},
		{"aftership pending tells nothing", ParseAfterShip,
			`{"event":"tracking_update","msg":{"tracking_number":"AS1","tag":"Pending","updated_at":"2024-03-01T10:00:00Z"}}`, nil},
		{"aftership trimmed sample without its checkpoint", ParseAfterShip,
			`{"event":"tracking_update","event_id":"94dadd60","msg":{"tracking_number":"0000000000000000","slug":"usps","tag":"InTransit","subtag":"InTransit_001","checkpoints":[]},"ts":1712741696}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("parse() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got.Events); diff != "" {
				t.Errorf("parse() events mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	ok := `{"datetime":"2024-01-01T00:00:00Z","status":"in_transit"}`
	tests := []struct {
		name      string
		parse     func([]byte) (Payload, error)
		body      string
		wantField string
		wantMsg   string
	}{
		{"easypost not json", ParseEasyPost, `{"result":`, "", "malformed JSON at byte 10: unexpected end of JSON input"},
		{"easypost array body", ParseEasyPost, `[]`, "", "not an object (got array)"},
		{"easypost no result", ParseEasyPost, `{"description":"tracker.updated"}`, "result", "missing"},
		{"easypost result not object", ParseEasyPost, `{"result":5}`, "result", "not an object (got number)"},
		{"easypost no tracking code", ParseEasyPost, `{"result":{"status":"delivered"}}`, "result.tracking_code", "missing"},
		{"easypost status not string", ParseEasyPost, `{"result":{"tracking_code":"1","status":7}}`, "result.status", "not a string (got number)"},
		{"easypost details not array", ParseEasyPost, `{"result":{"tracking_code":"1","tracking_details":{}}}`, "result.tracking_details", "not an array (got object)"},
		{"easypost bad datetime", ParseEasyPost,
			`{"result":{"tracking_code":"1","tracking_details":[` + ok + `,` + ok + `,{"datetime":"yesterday"}]}}`,
			"result.tracking_details[2].datetime", "not a time"},
		{"easypost missing datetime", ParseEasyPost, `{"result":{"tracking_code":"1","tracking_details":[{}]}}`, "result.tracking_details[0].datetime", "missing"},
		{"easypost null detail", ParseEasyPost, `{"result":{"tracking_code":"1","tracking_details":[null]}}`, "result.tracking_details[0]", "missing"},
		{"easypost datetime number", ParseEasyPost, `{"result":{"tracking_code":"1","tracking_details":[{"datetime":1}]}}`,
			"result.tracking_details[0].datetime", "not a string (got number)"},
		{"easypost location shape", ParseEasyPost,
			`{"result":{"tracking_code":"1","tracking_details":[{"datetime":"2024-01-01T00:00:00Z","tracking_location":{"city":["X"]}}]}}`,
			"result.tracking_details[0].tracking_location.city", "not a string (got array)"},
		{"aftership not json", ParseAfterShip, `nope`, "", "malformed JSON at byte 2: invalid character 'o' in literal null (expecting 'u')"},
		{"aftership no msg", ParseAfterShip, `{"event":"tracking_update"}`, "msg", "missing"},
		{"aftership no tracking number", ParseAfterShip, `{"msg":{"tag":"Delivered"}}`, "msg.tracking_number", "missing"},
		{"aftership checkpoints not array", ParseAfterShip, `{"msg":{"tracking_number":"1","checkpoints":"none"}}`, "msg.checkpoints", "not an array (got string)"},
		{"aftership bad checkpoint time", ParseAfterShip,
			`{"msg":{"tracking_number":"1","checkpoints":[{"checkpoint_time":"2021-05-13T13:04:00"},{"checkpoint_time":"13/05/2021"}]}}`,
			"msg.checkpoints[1].checkpoint_time", "not a time"},
		{"aftership checkpoint not object", ParseAfterShip, `{"msg":{"tracking_number":"1","checkpoints":[true]}}`, "msg.checkpoints[0]", "not an object (got bool)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse([]byte(tt.body))
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("parse(%s) error = %v, want *PayloadError", tt.body, err)
			}
			if pe.Field != tt.wantField || pe.Message != tt.wantMsg {
				t.Errorf("parse(%s) = {%q, %q}, want {%q, %q}", tt.body, pe.Field, pe.Message, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestPayloadErrorMessage(t *testing.T) {
	err := &PayloadError{Field: "result.tracking_details[2].datetime", Message: "not a time"}
	if got, want := err.Error(), "result.tracking_details[2].datetime: not a time"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&PayloadError{Message: "not an object"}).Error(), "not an object"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseUnsupportedEvent(t *testing.T) {
	tests := []struct {
		name        string
		parse       func([]byte) (Payload, error)
		body        string
		wantEventID string
	}{
		{"easypost batch event", ParseEasyPost, `{"id":"evt_9","description":"batch.created","result":{"object":"Batch"}}`, "evt_9"},
		{"easypost non-tracker result", ParseEasyPost, `{"id":"evt_8","result":{"object":"Shipment","tracking_code":"1"}}`, "evt_8"},
		{"aftership other event", ParseAfterShip, `{"event_id":"e1","event":"order_update","msg":{}}`, "e1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.body))
			if !errors.Is(err, ErrUnsupportedEvent) {
				t.Fatalf("parse() error = %v, want ErrUnsupportedEvent", err)
			}
			if got.EventID != tt.wantEventID {
				t.Errorf("parse() EventID = %q, want %q", got.EventID, tt.wantEventID)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-08-02T19:26:52.000Z", at("2024-08-02T19:26:52Z"), true},
		{"2024-07-31T15:00:00Z", at("2024-07-31T15:00:00Z"), true},
		{"2021-05-17T09:05:29+00:00", at("2021-05-17T09:05:29Z"), true},
		{"2021-05-17T09:05:29+0800", at("2021-05-17T01:05:29Z"), true},
		{"2021-05-13T13:04:00", at("2021-05-13T13:04:00Z"), true},
		{"2021-05-13 13:04:00", at("2021-05-13T13:04:00Z"), true},
		{"2021-05-17", at("2021-05-17T00:00:00Z"), true},
		{" 2021-05-17 ", at("2021-05-17T00:00:00Z"), true},
		{"", time.Time{}, false},
		{"2021-13-01", time.Time{}, false},
		{"1621242332", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("parseTime(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkParseAfterShip(b *testing.B) {
	body := readFixture(b, "aftership-tracking-update-legacy-full.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseAfterShip(body); err != nil {
			b.Fatal(err)
		}
	}
}
