package webhook

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func baseEvent() shipment.Event {
	edd := at("2024-08-05T00:00:00Z")
	return shipment.Event{
		TrackingNumber: "9405 5169", Carrier: "usps", OccurredAt: at("2024-08-01T14:42:13Z"),
		Status: shipment.StatusInTransit, CarrierStatus: "DP", ProviderStatus: "in_transit",
		ProviderDetail: "departed_facility", Description: "Departed FedEx location",
		Location:            shipment.Location{City: "ORLANDO", Region: "FL", PostalCode: "32809", Country: "US"},
		EstimatedDeliveryAt: &edd, Source: shipment.SourceEasyPost,
	}
}

func TestFingerprint(t *testing.T) {
	const seller, number = "7", "94055169"
	base := shipment.Fingerprint(seller, number, baseEvent())
	tests := []struct {
		name   string
		seller string
		number string
		edit   func(*shipment.Event)
		same   bool
	}{
		{"identical", seller, number, func(*shipment.Event) {}, true},
		{"sub-second difference", seller, number, func(e *shipment.Event) { e.OccurredAt = e.OccurredAt.Add(400 * time.Millisecond) }, true},
		{"same instant in another zone", seller, number, func(e *shipment.Event) { e.OccurredAt = e.OccurredAt.In(time.FixedZone("EST", -5*3600)) }, true},
		{"new estimate", seller, number, func(e *shipment.Event) { t := at("2024-08-09T00:00:00Z"); e.EstimatedDeliveryAt = &t }, true},
		{"signature added later", seller, number, func(e *shipment.Event) { e.SignedBy = "J DOE" }, true},
		{"mapping table changed", seller, number, func(e *shipment.Event) { e.Status = shipment.StatusException }, true},
		{"raw number as sent", seller, number, func(e *shipment.Event) { e.TrackingNumber = "other" }, true},
		{"padded description", seller, number, func(e *shipment.Event) { e.Description = " Departed FedEx location " }, true},
		{"other seller", "8", number, func(*shipment.Event) {}, false},
		{"other number", seller, "94055170", func(*shipment.Event) {}, false},
		{"other source", seller, number, func(e *shipment.Event) { e.Source = shipment.SourceAfterShip }, false},
		{"one second later", seller, number, func(e *shipment.Event) { e.OccurredAt = e.OccurredAt.Add(time.Second) }, false},
		{"other provider status", seller, number, func(e *shipment.Event) { e.ProviderStatus = "out_for_delivery" }, false},
		{"other provider detail", seller, number, func(e *shipment.Event) { e.ProviderDetail = "arrived_at_facility" }, false},
		{"other carrier status", seller, number, func(e *shipment.Event) { e.CarrierStatus = "AR" }, false},
		{"other description", seller, number, func(e *shipment.Event) { e.Description = "Arrived at FedEx location" }, false},
		{"other city", seller, number, func(e *shipment.Event) { e.Location.City = "MIAMI" }, false},
		{"other postal code", seller, number, func(e *shipment.Event) { e.Location.PostalCode = "32810" }, false},
		{"fields do not bleed into each other", seller, number, func(e *shipment.Event) {
			e.Location.City, e.Location.Region = "ORLANDOFL", ""
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := baseEvent()
			tt.edit(&e)
			got := shipment.Fingerprint(tt.seller, tt.number, e)
			if (got == base) != tt.same {
				t.Errorf("Fingerprint() equal to base = %v, want %v", got == base, tt.same)
			}
		})
	}
}

// Back-office events have no provider status: their Shipwatch status counts.
func TestFingerprintWithoutProviderStatus(t *testing.T) {
	e := baseEvent()
	e.ProviderStatus, e.ProviderDetail, e.Source = "", "", shipment.SourceBackOffice
	a := shipment.Fingerprint("1", "X", e)
	e.Status = shipment.StatusDelivered
	if b := shipment.Fingerprint("1", "X", e); a == b {
		t.Errorf("Fingerprint() ignores the status of an event without provider status")
	}
}

// AfterShip resends every checkpoint with each update: the second delivery
// of the legacy sample, with a new estimate and one more checkpoint, must
// add exactly one new fingerprint.
func TestFingerprintDedupesAfterShipResend(t *testing.T) {
	first, err := ParseAfterShip(readFixture(t, "aftership-tracking-update-legacy-full.json"))
	if err != nil {
		t.Fatalf("ParseAfterShip() error = %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(readFixture(t, "aftership-tracking-update-legacy-full.json"), &doc); err != nil {
		t.Fatal(err)
	}
	msg := doc["msg"].(map[string]any)
	msg["expected_delivery"] = "2021-05-18"
	doc["event_id"] = "another-delivery"
	msg["checkpoints"] = append(msg["checkpoints"].([]any), map[string]any{
		"checkpoint_time": "2021-05-17T08:05:00", "message": "Out for Delivery", "tag": "OutForDelivery",
		"subtag": "OutForDelivery_001", "city": "HOLLY RIDGE", "state": "NC", "zip": "28445", "country_iso3": "USA", "raw_tag": "OF",
	})
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParseAfterShip(body)
	if err != nil {
		t.Fatalf("ParseAfterShip() error = %v", err)
	}
	seen := map[[32]byte]bool{}
	for _, e := range first.Events {
		seen[shipment.Fingerprint("1", first.TrackingNumber, e)] = true
	}
	var added int
	for _, e := range second.Events {
		if fp := shipment.Fingerprint("1", second.TrackingNumber, e); !seen[fp] {
			seen[fp] = true
			added++
		}
	}
	if added != 1 || len(seen) != 8 {
		t.Errorf("resend added %d fingerprints (total %d), want 1 (total 8)", added, len(seen))
	}
}

func BenchmarkFingerprint(b *testing.B) {
	e := baseEvent()
	for b.Loop() {
		shipment.Fingerprint("7", "94055169", e)
	}
}
