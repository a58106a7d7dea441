package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// BenchmarkRecordEventsChained measures webhook-sized writes now that every
// event is hashed into its number's evidence chain: batches of 10 events
// for one number, 7 of them resends, as AfterShip sends them.
func BenchmarkRecordEventsChained(b *testing.B) {
	ctx := context.Background()
	svc, st := newService(b)
	seller, err := st.InsertSeller(ctx, "Northwind Goods")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 11, 17, 16, 20, 0, 0, time.UTC)
	n := 0
	b.ResetTimer()
	began := time.Now()
	for i := 0; b.Loop(); i++ {
		number := fmt.Sprintf("1Z%016d", i/10)
		var evs []shipment.Event
		for j := range 10 {
			evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: start.Add(time.Duration(i%10*3+j) * time.Minute),
				Status: shipment.StatusInTransit, Description: "Arrived at facility", Source: shipment.SourceAfterShip})
		}
		res, err := svc.RecordEvents(ctx, seller.ID, evs)
		if err != nil {
			b.Fatal(err)
		}
		n += len(res.Inserted)
	}
	el := time.Since(began)
	b.ReportMetric(float64(b.N)/el.Seconds(), "batches/s")
	b.Logf("record events: %d batches of 10 (%d new events) in %s, %.0f batches/s", b.N, n, el.Round(time.Millisecond), float64(b.N)/el.Seconds())
}
