package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// 17TRACK's sign vectors, computed outside Go with coreutils:
//
//	printf '%s/%s' "$body" "$key" | sha256sum
const (
	seventeenVectorBody = `{"event":"TRACKING_UPDATED","data":{"number":"RR123456789CN","carrier":3011,"tag":null}}`
	seventeenVectorKey  = "0123456789ABCDEF"
	seventeenVectorSign = "0c6e73c1eb56a9be5a7249e83a57805f4cd1c49610b2dc24edeb932861be75b7"

	seventeenStoppedKey  = "my-17track-key"
	seventeenStoppedSign = "dcee0d8ecedb40e172daee7b41a3a7c67431d8c02d90cfe742cd389bc70994ca"
)

func TestSeventeenTrackSign(t *testing.T) {
	if got := SeventeenTrackSign([]byte(seventeenVectorBody), seventeenVectorKey); got != seventeenVectorSign {
		t.Errorf("SeventeenTrackSign(vector) = %s, want %s", got, seventeenVectorSign)
	}
	stopped := bytes.TrimSuffix(readFixture(t, "17track-tracking-stopped.json"), []byte("\n"))
	if got := SeventeenTrackSign(stopped, seventeenStoppedKey); got != seventeenStoppedSign {
		t.Errorf("SeventeenTrackSign(stopped fixture) = %s, want %s", got, seventeenStoppedSign)
	}
}

func TestVerifySeventeenTrack(t *testing.T) {
	body := []byte(seventeenVectorBody)
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		key    string
		want   error
	}{
		{"vector", body, headerWith("sign", seventeenVectorSign), seventeenVectorKey, nil},
		{"upper-case hex", body, headerWith("Sign", "0C6E73C1EB56A9BE5A7249E83A57805F4CD1C49610B2DC24EDEB932861BE75B7"), seventeenVectorKey, nil},
		{"re-encoded body", []byte(`{"event": "TRACKING_UPDATED","data":{"number":"RR123456789CN","carrier":3011,"tag":null}}`),
			headerWith("sign", seventeenVectorSign), seventeenVectorKey, ErrBadSignature},
		{"wrong key", body, headerWith("sign", seventeenVectorSign), "0123456789ABCDEE", ErrBadSignature},
		{"an HMAC is not the sign", body, headerWith("sign", hexHMAC(seventeenVectorKey, body)), seventeenVectorKey, ErrBadSignature},
		{"not hex", body, headerWith("sign", "zz"+seventeenVectorSign[2:]), seventeenVectorKey, ErrBadSignature},
		{"short", body, headerWith("sign", seventeenVectorSign[:62]), seventeenVectorKey, ErrBadSignature},
		{"no header", body, http.Header{}, seventeenVectorKey, ErrMissingSignature},
		{"no key", body, headerWith("sign", seventeenVectorSign), "", ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifySeventeenTrack(tt.body, tt.header, tt.key); !errors.Is(err, tt.want) {
				t.Errorf("VerifySeventeenTrack() = %v, want %v", err, tt.want)
			}
		})
	}
}

func hexHMAC(key string, body []byte) string {
	const digits = "0123456789abcdef"
	sum := sum([]byte(key), body)
	out := make([]byte, 0, 64)
	for _, b := range sum {
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}

func TestParseSeventeenTrackFixture(t *testing.T) {
	p, err := ParseSeventeenTrack(readFixture(t, "17track-tracking-updated.json"))
	if err != nil {
		t.Fatalf("ParseSeventeenTrack(fixture) error: %v", err)
	}
	if p.TrackingNumber != "9400111899223197428490" || p.Carrier != "21051" || p.Stopped {
		t.Errorf("ParseSeventeenTrack(fixture) = number %q carrier %q stopped %v", p.TrackingNumber, p.Carrier, p.Stopped)
	}
	want := []struct {
		at     string
		status shipment.Status
		city   string
	}{
		{"2026-11-20T19:02:00Z", shipment.StatusDelivered, "MABLETON"},
		{"2026-11-20T12:45:00Z", shipment.StatusOutForDelivery, "MABLETON"},
		{"2026-11-19T02:14:00Z", shipment.StatusInTransit, "ATLANTA GA DISTRIBUTION CENTER"},
		{"2026-11-16T21:30:00Z", shipment.StatusInTransit, "LOUISVILLE"},
		{"2026-11-16T14:10:00Z", shipment.StatusLabelCreated, "LOUISVILLE"},
	}
	if len(p.Events) != len(want) {
		t.Fatalf("ParseSeventeenTrack(fixture) = %d events, want %d", len(p.Events), len(want))
	}
	est := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	for i, w := range want {
		e := p.Events[i]
		if got := e.OccurredAt.Format(time.RFC3339); got != w.at || e.Status != w.status || e.Location.City != w.city {
			t.Errorf("event %d = %s %s %q, want %s %s %q", i, got, e.Status, e.Location.City, w.at, w.status, w.city)
		}
		if e.Source != shipment.SourceSeventeenTrack || e.Carrier != "USPS" || e.TrackingNumber != p.TrackingNumber {
			t.Errorf("event %d source %s carrier %q number %q", i, e.Source, e.Carrier, e.TrackingNumber)
		}
		if e.EstimatedDeliveryAt == nil || !e.EstimatedDeliveryAt.Equal(est) {
			t.Errorf("event %d estimate = %v, want %v (time_metrics.estimated_delivery_date.to)", i, e.EstimatedDeliveryAt, est)
		}
	}
	if e := p.Events[0]; e.ProviderStatus != "Delivered" || e.ProviderDetail != "Delivered_Other" || e.Description != "Delivered, In/At Mailbox" {
		t.Errorf("event 0 raw = %q %q %q", e.ProviderStatus, e.ProviderDetail, e.Description)
	}
}

func TestParseSeventeenTrackStopped(t *testing.T) {
	p, err := ParseSeventeenTrack(readFixture(t, "17track-tracking-stopped.json"))
	if err != nil {
		t.Fatalf("ParseSeventeenTrack(stopped) error: %v", err)
	}
	if !p.Stopped || len(p.Events) != 0 || p.TrackingNumber != "9400111899223197428490" {
		t.Errorf("ParseSeventeenTrack(stopped) = stopped %v, %d events, number %q", p.Stopped, len(p.Events), p.TrackingNumber)
	}
}

func TestParseSeventeenTrackErrors(t *testing.T) {
	ev := func(fields string) string {
		return `{"event":"TRACKING_UPDATED","data":{"number":"RR123456789CN","track_info":{"tracking":{"providers":[{"events":[` +
			`{"time_utc":"2026-11-16T21:30:00Z","sub_status":"InTransit_PickedUp"},{` + fields + `}]}]}}}}`
	}
	tests := []struct {
		name, body, field string
	}{
		{"malformed", `{"event":`, ""},
		{"no event", `{"data":{"number":"X1"}}`, "event"},
		{"no data", `{"event":"TRACKING_UPDATED"}`, "data"},
		{"no number", `{"event":"TRACKING_UPDATED","data":{"number":" ","track_info":{}}}`, "data.number"},
		{"no track_info", `{"event":"TRACKING_UPDATED","data":{"number":"X1"}}`, "data.track_info"},
		{"no time", ev(`"sub_status":"Delivered_Other"`), "data.track_info.tracking.providers[0].events[1].time_iso"},
		{"bad time", ev(`"time_utc":"yesterday"`), "data.track_info.tracking.providers[0].events[1].time_utc"},
		{"number as array", `{"event":"TRACKING_UPDATED","data":{"number":["X1"]}}`, "data.number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSeventeenTrack([]byte(tt.body))
			var perr *PayloadError
			if !errors.As(err, &perr) {
				t.Fatalf("ParseSeventeenTrack(%s) = %v, want a *PayloadError", tt.body, err)
			}
			if perr.Field != tt.field {
				t.Errorf("ParseSeventeenTrack(%s) field = %q (%v), want %q", tt.body, perr.Field, err, tt.field)
			}
		})
	}
	if _, err := ParseSeventeenTrack([]byte(`{"event":"TRACKING_ARCHIVED","data":{"number":"X1"}}`)); !errors.Is(err, ErrUnsupportedEvent) {
		t.Errorf("ParseSeventeenTrack(other event) = %v, want ErrUnsupportedEvent", err)
	}
}

// A push whose providers list no events still tells its latest event.
func TestParseSeventeenTrackLatestEventOnly(t *testing.T) {
	body := `{"event":"TRACKING_UPDATED","data":{"number":"X1","carrier":3011,"track_info":{"latest_event":` +
		`{"time_iso":"2026-11-16T09:10:00-05:00","stage":"PickedUp","description":"Picked up"},"tracking":{"providers":[]}}}}`
	p, err := ParseSeventeenTrack([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 1 || p.Events[0].Status != shipment.StatusInTransit || p.Events[0].OccurredAt.Format(time.RFC3339) != "2026-11-16T14:10:00Z" {
		t.Errorf("ParseSeventeenTrack(latest only) = %+v", p.Events)
	}
}

func TestSeventeenTrackStatus(t *testing.T) {
	tests := []struct {
		status, sub string
		want        shipment.Status
	}{
		{"", "NotFound_Other", shipment.StatusPending},
		{"", "InfoReceived", shipment.StatusLabelCreated},
		{"", "InTransit_CustomsProcessing", shipment.StatusInTransit},
		{"", "OutForDelivery_Other", shipment.StatusOutForDelivery},
		{"", "AvailableForPickup_Other", shipment.StatusAvailableForPickup},
		{"", "DeliveryFailure_NoBody", shipment.StatusDeliveryAttempted},
		{"", "DeliveryFailure_Rejected", shipment.StatusException},
		{"Delivered", "Delivered_Other", shipment.StatusDelivered},
		{"", "Exception_Returning", shipment.StatusReturnedToSender},
		{"", "Exception_Returned", shipment.StatusReturnedToSender},
		{"", "Exception_Lost", shipment.StatusException},
		{"", "Exception_Delayed", shipment.StatusInTransit},
		{"", "Exception_Cancel", shipment.StatusCancelled},
		{"", "Expired_Other", shipment.StatusException},
		{" intransit ", "", shipment.StatusInTransit},
		{"Teleported", "", shipment.StatusPending},
	}
	for _, tt := range tests {
		if got := SeventeenTrackStatus(tt.status, tt.sub); got != tt.want {
			t.Errorf("SeventeenTrackStatus(%q, %q) = %s, want %s", tt.status, tt.sub, got, tt.want)
		}
	}
	if got := SeventeenTrackEventStatus("", "Returned"); got != shipment.StatusReturnedToSender {
		t.Errorf("SeventeenTrackEventStatus(stage Returned) = %s", got)
	}
}
