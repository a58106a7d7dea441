package webhook

import (
	"errors"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func TestVerifyToken(t *testing.T) {
	hash := HashToken("tok-123")
	tests := []struct {
		name, token string
		hash        []byte
		want        error
	}{
		{"right", "tok-123", hash, nil},
		{"wrong", "tok-124", hash, ErrBadSignature},
		{"prefix", "tok-12", hash, ErrBadSignature},
		{"missing", "", hash, ErrMissingSignature},
		{"no hash", "tok-123", nil, ErrNoSecret},
	}
	for _, tt := range tests {
		if err := VerifyToken(tt.token, tt.hash); !errors.Is(err, tt.want) {
			t.Errorf("VerifyToken(%q) %s = %v, want %v", tt.token, tt.name, err, tt.want)
		}
	}
}

func TestParseShippoFixture(t *testing.T) {
	p, err := ParseShippo(readFixture(t, "shippo-track-updated.json"))
	if err != nil {
		t.Fatalf("ParseShippo(fixture) error: %v", err)
	}
	if p.TrackingNumber != "9205590164917312751089" || p.Carrier != "usps" {
		t.Errorf("ParseShippo(fixture) = %q %q", p.TrackingNumber, p.Carrier)
	}
	eta := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if p.EstimatedDeliveryAt == nil || !p.EstimatedDeliveryAt.Equal(eta) {
		t.Errorf("estimate = %v, want eta %v (not original_eta)", p.EstimatedDeliveryAt, eta)
	}
	want := []struct {
		status shipment.Status
		detail string
	}{
		{shipment.StatusLabelCreated, "information_received"},
		{shipment.StatusInTransit, "package_accepted"},
		{shipment.StatusInTransit, "delayed"},
		{shipment.StatusOutForDelivery, "out_for_delivery"}, // tracking_status is this entry: not repeated
	}
	if len(p.Events) != len(want) {
		t.Fatalf("ParseShippo(fixture) = %d events, want %d", len(p.Events), len(want))
	}
	for i, w := range want {
		e := p.Events[i]
		if e.Status != w.status || e.ProviderDetail != w.detail || e.Source != shipment.SourceShippo {
			t.Errorf("event %d = %s %q %s, want %s %q", i, e.Status, e.ProviderDetail, e.Source, w.status, w.detail)
		}
		if e.EstimatedDeliveryAt == nil || !e.EstimatedDeliveryAt.Equal(eta) {
			t.Errorf("event %d estimate = %v", i, e.EstimatedDeliveryAt)
		}
	}
	// A tracking_status the history does not list is an event of its own.
	q, err := ParseShippo([]byte(`{"event":"track_updated","data":{"tracking_number":"X1","tracking_status":` +
		`{"status":"DELIVERED","status_date":"2026-11-20T10:00:00Z"},"tracking_history":[{"status":"TRANSIT","status_date":"2026-11-19T10:00:00Z"}]}}`))
	if err != nil || len(q.Events) != 2 || q.Events[1].Status != shipment.StatusDelivered {
		t.Errorf("ParseShippo(status beyond the history) = %+v, %v; want 2 events, the last DELIVERED", q.Events, err)
	}
	if l := p.Events[3].Location; l.City != "Spotsylvania" || l.Region != "VA" || l.PostalCode != "22551" || l.Country != "US" {
		t.Errorf("event 3 location = %+v", l)
	}
}

func TestParseShippoErrors(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"malformed", `{"event":"track_updated",`, ""},
		{"no data", `{"event":"track_updated"}`, "data"},
		{"no number", `{"event":"track_updated","data":{"carrier":"usps"}}`, "data.tracking_number"},
		{"history not a list", `{"event":"track_updated","data":{"tracking_number":"X1","tracking_history":"none"}}`, "data.tracking_history"},
		{"bad date", `{"event":"track_updated","data":{"tracking_number":"X1","tracking_history":[{"status":"TRANSIT","status_date":"2026-11-17T02:31:00Z"},{"status":"TRANSIT","status_date":"soon"}]}}`, "data.tracking_history[1].status_date"},
		{"status without date", `{"event":"track_updated","data":{"tracking_number":"X1","tracking_status":{"status":"DELIVERED"}}}`, "data.tracking_status.status_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseShippo([]byte(tt.body))
			var perr *PayloadError
			if !errors.As(err, &perr) {
				t.Fatalf("ParseShippo(%s) = %v, want a *PayloadError", tt.body, err)
			}
			if perr.Field != tt.field {
				t.Errorf("ParseShippo(%s) field = %q (%v), want %q", tt.body, perr.Field, err, tt.field)
			}
		})
	}
	if _, err := ParseShippo([]byte(`{"event":"transaction_created","data":{}}`)); !errors.Is(err, ErrUnsupportedEvent) {
		t.Errorf("ParseShippo(transaction_created) = %v, want ErrUnsupportedEvent", err)
	}
	p, err := ParseShippo([]byte(`{"event":"track_updated","data":{"tracking_number":"X1","tracking_status":{"status":"UNKNOWN"},"tracking_history":[]}}`))
	if err != nil || len(p.Events) != 0 {
		t.Errorf("ParseShippo(UNKNOWN, no date) = %d events, %v; want none", len(p.Events), err)
	}
}

func TestShippoStatus(t *testing.T) {
	tests := []struct {
		status, sub string
		want        shipment.Status
	}{
		{"UNKNOWN", "", shipment.StatusPending},
		{"PRE_TRANSIT", "information_received", shipment.StatusLabelCreated},
		{"TRANSIT", "package_departed", shipment.StatusInTransit},
		{"TRANSIT", "delayed", shipment.StatusInTransit},
		{"TRANSIT", "out_for_delivery", shipment.StatusOutForDelivery},
		{"TRANSIT", "pickup_available", shipment.StatusAvailableForPickup},
		{"TRANSIT", "delivery_attempted", shipment.StatusDeliveryAttempted},
		{"TRANSIT", "return_to_sender", shipment.StatusReturnedToSender},
		{"TRANSIT", "package_lost", shipment.StatusException},
		{"delivered", "", shipment.StatusDelivered},
		{"RETURNED", "", shipment.StatusReturnedToSender},
		{"FAILURE", "", shipment.StatusException},
		{"FAILURE", "return_to_sender", shipment.StatusReturnedToSender},
		{"LOST_IN_SPACE", "", shipment.StatusPending},
	}
	for _, tt := range tests {
		if got := ShippoStatus(tt.status, tt.sub); got != tt.want {
			t.Errorf("ShippoStatus(%q, %q) = %s, want %s", tt.status, tt.sub, got, tt.want)
		}
	}
}
