package shipment

import (
	"strings"
	"testing"
	"time"
)

func TestInputValidate(t *testing.T) {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	before := day.Add(-time.Hour)
	tests := []struct {
		name  string
		in    Input
		field string
	}{
		{"ok", Input{OrderID: "A-1", TrackingNumber: "1Z999", Country: "US"}, ""},
		{"no tracking number is fine", Input{OrderID: "A-1"}, ""},
		{"missing order", Input{TrackingNumber: "1Z"}, "orderId"},
		{"long order", Input{OrderID: strings.Repeat("x", 201)}, "orderId"},
		{"long number", Input{OrderID: "A", TrackingNumber: strings.Repeat("9", 65)}, "trackingNumber"},
		{"country", Input{OrderID: "A", Country: "USA"}, "destination.country"},
		{"deliver before ship", Input{OrderID: "A", ShipBy: &day, DeliverBy: &before}, "deliverBy"},
	}
	for _, tt := range tests {
		err := tt.in.Clean().Validate()
		got := ""
		if err != nil {
			got = err.Field
		}
		if got != tt.field {
			t.Errorf("%s: Validate() field = %q, want %q (err %v)", tt.name, got, tt.field, err)
		}
	}
}

func TestStatusIsScan(t *testing.T) {
	for _, s := range Statuses {
		want := s != StatusPending && s != StatusLabelCreated && s != StatusCancelled
		if got := s.IsScan(); got != want {
			t.Errorf("%s.IsScan() = %v, want %v", s, got, want)
		}
	}
}
