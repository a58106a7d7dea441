package carrier_test

import (
	"testing"

	"github.com/shipwatch/shipwatch/internal/carrier"
)

// The parsers read what a carrier (or whoever answers at a CUSTOM base
// URL) sends: any bytes give a result or an error, never a panic, and
// every event has a valid status.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1Z","activity":[{"date":"20260710","time":"071356","status":{"type":"D"}}]}]}]}}`))
	f.Add([]byte(`{"output":{"completeTrackResults":[{"trackingNumber":"N","trackResults":[{"scanEvents":[{"date":"2026-07-10T07:13:56-06:00","eventType":"DL"}]}]}]}}`))
	f.Add([]byte(`{"trackingNumber":"N","trackingEvents":[{"eventTimestamp":"2026-07-10T07:13:56","eventCode":"01","eventZIPCode":"99"}]}`))
	f.Add([]byte(`{"trackResponse":{"shipment":[{"package":[{"activity":[{"date":"2026","time":"99"}]}]}]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var all []carrier.Result
		if r, err := carrier.ParseUPS(raw, "N"); err == nil {
			all = append(all, r)
		}
		if rs, err := carrier.ParseFedEx(raw, []string{"N"}); err == nil {
			all = append(all, rs...)
		}
		if r, err := carrier.ParseUSPS(raw, "N"); err == nil {
			all = append(all, r)
		}
		for _, r := range all {
			for _, e := range r.Events {
				if !e.Status.Valid() || e.OccurredAt.IsZero() {
					t.Fatalf("event %+v from %q", e, raw)
				}
			}
		}
	})
}
