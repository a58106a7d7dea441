package monitor_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// BenchmarkEvidencePack measures what GET /disputes/{id}/evidence.pdf does
// for a typical shipment (10 carrier events, a signed delivery and a proof
// with a 1280x960 JPEG photo and a PNG signature): read and verify the
// chain and check it against its signed checkpoint in one snapshot, record
// the generation, render the PDF. Target: well under a second.
func BenchmarkEvidencePack(b *testing.B) {
	ctx := context.Background()
	svc, st := newService(b)
	seller, err := st.InsertSeller(ctx, "Northwind Goods")
	if err != nil {
		b.Fatal(err)
	}
	const number = "1Z999AA10123456784"
	items, err := svc.CreateShipments(ctx, seller.ID, []shipment.Input{{OrderID: "112-7765543-1203311", TrackingNumber: number, Carrier: "ups"}})
	if err != nil || items[0].Err != nil {
		b.Fatal(err, items[0].Err)
	}
	sh := items[0].Shipment
	start := time.Date(2026, 11, 17, 16, 20, 0, 0, time.UTC)
	var evs []shipment.Event
	for i := range 10 {
		s := shipment.StatusInTransit
		if i == 9 {
			s = shipment.StatusDelivered
		}
		evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: start.Add(time.Duration(i) * 5 * time.Hour), Status: s,
			Description: "Arrived at facility", Location: shipment.Location{City: "Portland", Region: "OR", Country: "US"},
			SignedBy: map[bool]string{true: "Zoë Müller"}[i == 9], Source: shipment.SourceEasyPost})
	}
	if _, err := svc.RecordEvents(ctx, seller.ID, evs); err != nil {
		b.Fatal(err)
	}
	lat, lon := 45.5187312, -122.6794023
	if _, err := svc.RecordProof(ctx, seller.ID, shipment.ProofInput{ShipmentID: sh.ID, DeliveredAt: start.Add(45 * time.Hour),
		SignedBy: "Zoë Müller", Latitude: &lat, Longitude: &lon, LocationDescription: "Front porch",
		Photo: benchPhoto(b), Signature: benchSignature(b)}, 5<<20, time.Now()); err != nil {
		b.Fatal(err)
	}
	d, err := svc.OpenDispute(ctx, seller.ID, sh.ID, shipment.DisputeInput{Kind: shipment.DisputeAToZClaim, ExternalReference: "AZ-1"})
	if err != nil {
		b.Fatal(err)
	}
	// A checkpoint covers the chain, as one does within
	// SHIPWATCH_CHECKPOINT_INTERVAL: the pack carries it and its proof.
	if signed, _, err := svc.MakeCheckpoints(ctx, time.Minute); err != nil || signed != 1 {
		b.Fatalf("MakeCheckpoints() = %d, %v", signed, err)
	}
	url := func(id, kind string) string { return monitor.ProofImageURL("", id, kind) }
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		p, err := svc.EvidencePack(ctx, seller, d.ID, time.Now(), url)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := evidence.RenderPDF(&buf, p); err != nil {
			b.Fatal(err)
		}
		if !p.Verification.Intact || p.Verification.Records != 12 || p.Checkpoint == nil {
			b.Fatalf("verification = %+v", p.Verification)
		}
	}
	per := time.Since(began) / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/pack")
	b.Logf("evidence pack: typical shipment (12 records, 2 images) in %s (target 1s)", per.Round(time.Millisecond))
}

func benchPhoto(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 960))
	for y := range 960 {
		for x := range 1280 {
			img.Set(x, y, color.RGBA{uint8(x / 6), uint8(y / 5), uint8((x + y) / 9), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchSignature(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for x := 20; x < 280; x++ {
		img.Set(x, 50+x%17, color.RGBA{20, 30, 110, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
