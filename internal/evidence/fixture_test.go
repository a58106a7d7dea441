package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// photoPNG draws a doorstep photo stand-in: a brown parcel on a grey porch.
func photoPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			c := color.RGBA{uint8(150 + y/6), uint8(150 + y/6), uint8(160 + y/6), 255}
			if x > 110 && x < 230 && y > 90 && y < 190 {
				c = color.RGBA{176, 124, 72, 255}
				if y > 135 && y < 145 {
					c = color.RGBA{220, 200, 160, 255}
				}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("png.Encode() = %v", err)
	}
	return buf.Bytes()
}

// signatureJPEG draws a scribbled signature in dark blue on white.
func signatureJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for y := range 100 {
		for x := range 300 {
			img.Set(x, y, color.White)
		}
	}
	for x := 20; x < 280; x++ {
		fx := float64(x)
		y := 50 + 25*math.Sin(fx/14)*math.Cos(fx/41)
		for d := -1; d <= 1; d++ {
			img.Set(x, int(y)+d, color.RGBA{20, 30, 110, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatalf("jpeg.Encode() = %v", err)
	}
	return buf.Bytes()
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The timeline of a typical UPS ground shipment, oldest first.
var journey = []struct {
	status      shipment.Status
	description string
	loc         shipment.Location
	source      shipment.Source
}{
	{shipment.StatusLabelCreated, "Shipper created a label, UPS has not received the package yet.", shipment.Location{}, shipment.SourceBackOffice},
	{shipment.StatusInTransit, "Pickup scan", shipment.Location{City: "Reno", Region: "NV", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusInTransit, "Departed from facility", shipment.Location{City: "Reno", Region: "NV", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusInTransit, "Arrived at facility", shipment.Location{City: "Sacramento", Region: "CA", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusInTransit, "Departed from facility", shipment.Location{City: "Sacramento", Region: "CA", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusInTransit, "Arrived at facility", shipment.Location{City: "Portland", Region: "OR", PostalCode: "97218", Country: "US"}, shipment.SourceAfterShip},
	{shipment.StatusInTransit, "Processing at UPS facility. The package was sorted onto the delivery vehicle route after a weather delay on the regional line haul.", shipment.Location{City: "Portland", Region: "OR", PostalCode: "97218", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusOutForDelivery, "Out for delivery today", shipment.Location{City: "Portland", Region: "OR", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusDeliveryAttempted, "Driver attempted delivery, customer not available; left notice", shipment.Location{City: "Portland", Region: "OR", Country: "US"}, shipment.SourceEasyPost},
	{shipment.StatusDelivered, "Delivered, front porch", shipment.Location{City: "Portland", Region: "OR", PostalCode: "97205", Country: "US"}, shipment.SourceEasyPost},
}

// samplePack builds the pack of a delivered UPS shipment with events
// carrier events (the journey, repeated when more are asked for) and one
// proof with a PNG photo and a JPEG signature, linked into a chain.
func samplePack(t testing.TB, events int) Pack {
	t.Helper()
	start := ts("2026-11-17T16:20:00Z")
	var recs []Record
	for i := range events {
		j := journey[i%len(journey)]
		if events > len(journey) && i < events-1 {
			j = journey[1+i%(len(journey)-2)]
		}
		if i == events-1 {
			j = journey[len(journey)-1]
		}
		at := start.Add(time.Duration(i) * (46 * time.Hour / time.Duration(max(events, 1))))
		e := EventRecord{
			ID:          fmt.Sprint(1000 + i),
			OccurredAt:  at,
			Status:      j.status,
			Description: j.description,
			Location:    j.loc,
			Source:      j.source,
			ReceivedAt:  at.Add(3 * time.Minute),
		}
		if j.status == shipment.StatusDelivered {
			e.SignedBy = "Zoë Müller"
		}
		recs = append(recs, e)
	}
	photo, sig := photoPNG(t), signatureJPEG(t)
	delivered := start.Add(46 * time.Hour) // 2026-11-19 14:20
	recs = append(recs, ProofRecord{
		ID:                  "pod-5521",
		DeliveredAt:         delivered,
		SignedBy:            "Zoë Müller",
		Latitude:            ptr(45.5187312),
		Longitude:           ptr(-122.6794023),
		LocationDescription: "Front porch, left of the door",
		PhotoSHA256:         hexSHA(photo),
		SignatureSHA256:     hexSHA(sig),
		CarrierReference:    "1Z999AA10123456784-POD",
		Source:              shipment.SourceEasyPost,
		RecordedAt:          delivered.Add(4 * time.Minute),
	})
	timeline, proofs, v := Chain(Link(recs))
	photoImg, err := NewImage(photo, "https://pod.example/5521/photo.png")
	if err != nil {
		t.Fatalf("NewImage(photo) = %v", err)
	}
	sigImg, err := NewImage(sig, "")
	if err != nil {
		t.Fatalf("NewImage(signature) = %v", err)
	}
	proofs[0].Photo, proofs[0].Signature = &photoImg, &sigImg

	deliverBy := ts("2026-11-20T23:59:59Z")
	return Pack{
		GeneratedAt: ts("2026-11-25T09:30:00Z"),
		Seller:      Seller{ID: "6f1c2a9e-4c1b-4f53-9a57-1d2b3c4d5e6f", Name: "Northwind Goods"},
		Dispute: Dispute{
			ID:                "5b0e7d3a-0000-4c1b-9a57-aa11bb22cc33",
			Kind:              "A_TO_Z_CLAIM",
			ExternalReference: "AZ-114-2231907",
			RespondBy:         ptr(ts("2026-12-01T23:59:59Z")),
			Amount:            "49.99",
			Currency:          "USD",
			Status:            "OPEN",
			OpenedAt:          ts("2026-11-24T08:12:00Z"),
		},
		Shipment: Shipment{
			ID:             "0b9f6c1e-2d3a-4e5f-8a9b-0c1d2e3f4a5b",
			OrderID:        "112-7765543-1203311",
			Carrier:        "UPS",
			TrackingNumber: "1Z999AA10123456784",
			Service:        "Ground",
			ShipBy:         ptr(ts("2026-11-17T23:59:59Z")),
			ShippedAt:      ptr(start),
			DeliverBy:      &deliverBy,
			DeliveredAt:    &delivered,
			Status:         shipment.StatusDelivered,
			Destination:    shipment.Location{City: "Portland", Region: "OR", PostalCode: "97205", Country: "US"},
		},
		Promise:      NewPromise(&deliverBy, &delivered, ts("2026-11-25T09:30:00Z")),
		Timeline:     timeline,
		Proofs:       proofs,
		Verification: v,
	}
}
