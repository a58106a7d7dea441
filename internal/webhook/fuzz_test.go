package webhook

import (
	"errors"
	"testing"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

var fuzzSeeds = []string{
	``,
	`null`,
	`{}`,
	`[]`,
	`{"result":null}`,
	`{"result":{"tracking_code":"1","status":"delivered","updated_at":"2024-01-01T00:00:00Z"}}`,
	`{"result":{"tracking_code":"1","tracking_details":[{"datetime":"2024-01-01T00:00:00Z","tracking_location":null}]}}`,
	`{"result":{"tracking_code":"1","tracking_details":[{"datetime":"0000-01-01T00:00:00Z"}]}}`,
	`{"msg":{"tracking_number":"1","tag":"InTransit","updated_at":"2024-01-01"}}`,
	`{"msg":{"tracking_number":"1","checkpoints":[{"checkpoint_time":"2021-05-13T13:04:00","location":{"a":1}}]}}`,
	`{"msg":{"tracking_number":"1","latest_estimated_delivery":{"datetime":7},"expected_delivery":[1]}}`,
}

// checkParsed holds for every input: no panic, errors are typed, and a
// parsed payload is usable downstream.
func checkParsed(t *testing.T, p Payload, err error) {
	t.Helper()
	if err != nil {
		var pe *PayloadError
		if !errors.As(err, &pe) && !errors.Is(err, ErrUnsupportedEvent) {
			t.Fatalf("error %v (%T) is neither *PayloadError nor ErrUnsupportedEvent", err, err)
		}
		return
	}
	if p.TrackingNumber == "" {
		t.Fatalf("parsed payload without tracking number")
	}
	for _, e := range p.Events {
		if !e.Status.Valid() || e.Source == "" || e.TrackingNumber != p.TrackingNumber {
			t.Fatalf("bad event %+v", e)
		}
		shipment.Fingerprint("1", p.TrackingNumber, e)
	}
}

func FuzzParseEasyPost(f *testing.F) {
	f.Add(readFixture(f, "easypost-tracker-updated-fixture.json"))
	f.Add(readFixture(f, "easypost-tracking-guide-webhook.json"))
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseEasyPost(body)
		checkParsed(t, p, err)
	})
}

func FuzzParseAfterShip(f *testing.F) {
	f.Add(readFixture(f, "aftership-tracking-update-legacy-full.json"))
	f.Add(readFixture(f, "aftership-tracking-update-trimmed-2026-07.json"))
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseAfterShip(body)
		checkParsed(t, p, err)
	})
}

func FuzzParseSeventeenTrack(f *testing.F) {
	f.Add(readFixture(f, "17track-tracking-updated.json"))
	f.Add(readFixture(f, "17track-tracking-stopped.json"))
	for _, s := range append(fuzzSeeds,
		`{"event":"TRACKING_UPDATED","data":{"number":"1","track_info":{"tracking":{"providers":[null,{"events":[null]}]}}}}`,
		`{"event":"TRACKING_UPDATED","data":{"number":"1","carrier":"x","track_info":{"latest_event":{"time_iso":"2024-01-01"}}}}`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseSeventeenTrack(body)
		checkParsed(t, p, err)
	})
}

func FuzzParseShippo(f *testing.F) {
	f.Add(readFixture(f, "shippo-track-updated.json"))
	for _, s := range append(fuzzSeeds,
		`{"event":"track_updated","data":{"tracking_number":"1","tracking_history":[null]}}`,
		`{"data":{"tracking_number":"1","eta":5,"tracking_status":{"status_date":"2024-01-01","substatus":null,"location":null}}}`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseShippo(body)
		checkParsed(t, p, err)
	})
}
