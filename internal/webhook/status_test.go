package webhook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func TestEasyPostStatus(t *testing.T) {
	tests := []struct {
		status, detail string
		want           shipment.Status
	}{
		{"pre_transit", "", shipment.StatusLabelCreated},
		{"pre_transit", "label_created", shipment.StatusLabelCreated},
		{"pre_transit", "cancelled", shipment.StatusCancelled},
		{"in_transit", "arrived_at_facility", shipment.StatusInTransit},
		{"in_transit", "departed_facility", shipment.StatusInTransit},
		{"in_transit", "unknown", shipment.StatusInTransit},
		{"in_transit", "weather_delay", shipment.StatusInTransit},
		{"in_transit", "transit_exception", shipment.StatusInTransit},
		{"in_transit", "out_for_delivery", shipment.StatusOutForDelivery},
		{"in_transit", "arrived_at_pickup_location", shipment.StatusAvailableForPickup},
		{"in_transit", "delivery_exception", shipment.StatusDeliveryAttempted},
		{"in_transit", "return", shipment.StatusReturnedToSender},
		{"in_transit", "lost", shipment.StatusException},
		{"in_transit", "damaged", shipment.StatusException},
		{"in_transit", "refused", shipment.StatusException},
		{"out_for_delivery", "out_for_delivery", shipment.StatusOutForDelivery},
		{"out_for_delivery", "delivery_exception", shipment.StatusDeliveryAttempted},
		{"available_for_pickup", "arrived_at_pickup_location", shipment.StatusAvailableForPickup},
		{"delivered", "arrived_at_destination", shipment.StatusDelivered},
		{"delivered", "return", shipment.StatusDelivered},
		{"return_to_sender", "return", shipment.StatusReturnedToSender},
		{"failure", "delivery_exception", shipment.StatusException},
		{"failure", "return", shipment.StatusReturnedToSender},
		{"cancelled", "", shipment.StatusCancelled},
		{"canceled", "cancelled", shipment.StatusCancelled},
		{"error", "", shipment.StatusPending},
		{"unknown", "", shipment.StatusPending},
		{"  Delivered ", "", shipment.StatusDelivered},
		{"IN_TRANSIT", "Delivery_Exception", shipment.StatusDeliveryAttempted},
		{"teleported", "", shipment.StatusPending},
		{"", "out_for_delivery", shipment.StatusPending},
	}
	for _, tt := range tests {
		if got := EasyPostStatus(tt.status, tt.detail); got != tt.want {
			t.Errorf("EasyPostStatus(%q, %q) = %v, want %v", tt.status, tt.detail, got, tt.want)
		}
	}
}

func TestAfterShipStatus(t *testing.T) {
	tests := []struct {
		tag, subtag string
		want        shipment.Status
	}{
		{"Pending", "Pending_001", shipment.StatusPending},
		{"InfoReceived", "InfoReceived_001", shipment.StatusLabelCreated},
		{"InTransit", "InTransit_002", shipment.StatusInTransit},
		{"InTransit", "InTransit_007", shipment.StatusInTransit},
		{"OutForDelivery", "OutForDelivery_001", shipment.StatusOutForDelivery},
		{"AvailableForPickup", "AvailableForPickup_001", shipment.StatusAvailableForPickup},
		{"AttemptFail", "AttemptFail_001", shipment.StatusDeliveryAttempted},
		{"Delivered", "Delivered_003", shipment.StatusDelivered},
		{"Exception", "Exception_001", shipment.StatusException},
		{"Exception", "Exception_007", shipment.StatusException},
		{"Exception", "Exception_010", shipment.StatusReturnedToSender},
		{"Exception", "Exception_011", shipment.StatusReturnedToSender},
		{"Exception", "Exception_013", shipment.StatusException},
		{"Expired", "Expired_001", shipment.StatusException},
		{"delivered", "", shipment.StatusDelivered},
		{"", "AttemptFail_002", shipment.StatusDeliveryAttempted},
		{"", "Exception_011", shipment.StatusReturnedToSender},
		{"Teleported", "Teleported_001", shipment.StatusPending},
		{"", "", shipment.StatusPending},
	}
	for _, tt := range tests {
		if got := AfterShipStatus(tt.tag, tt.subtag); got != tt.want {
			t.Errorf("AfterShipStatus(%q, %q) = %v, want %v", tt.tag, tt.subtag, got, tt.want)
		}
	}
}

// TestMappingsDocumented keeps docs/events.md in step with the tables:
// every row must appear there as written.
func TestMappingsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "events.md"))
	if err != nil {
		t.Fatalf("read docs/events.md: %v", err)
	}
	for _, table := range [][]mapping{easyPostMappings, afterShipMappings, seventeenTrackMappings, seventeenTrackStages, shippoMappings} {
		for _, m := range table {
			if row := docRow(m); !strings.Contains(string(doc), row) {
				t.Errorf("docs/events.md lacks the row %s", row)
			}
			if !m.to.Valid() {
				t.Errorf("mapping %v maps to invalid status %q", m, m.to)
			}
		}
	}
}

func docRow(m mapping) string {
	detail := "any other"
	if m.detail != "" {
		detail = "`" + m.detail + "`"
	}
	return fmt.Sprintf("| `%s` | %s | `%s` |", m.status, detail, m.to)
}
