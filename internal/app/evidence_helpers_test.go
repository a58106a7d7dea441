package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// evPhoto is a small doorstep photo stand-in (PNG).
func evPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(120 + y), 110, 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// evSignature is a small signature stand-in (JPEG).
func evSignature(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 90, 30))
	for x := range 90 {
		img.Set(x, 15+x%7, color.RGBA{20, 30, 110, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// evUpload sends a GraphQL multipart request (the multipart request
// specification) with files mapped onto variables.
func evUpload(t *testing.T, env *apptest.Env, key, query string, vars map[string]any, files map[string][]byte) apptest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	fileMap := map[string][]string{}
	i := 0
	names := []string{}
	for v := range files {
		names = append(names, v)
	}
	for _, v := range names {
		fileMap[string(rune('0'+i))] = []string{"variables." + v}
		i++
	}
	m, err := json.Marshal(fileMap)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteField("operations", string(ops)) //nolint:errcheck // a bytes.Buffer
	w.WriteField("map", string(m))          //nolint:errcheck // a bytes.Buffer
	for i, v := range names {
		// The file name lies on purpose: types come from the bytes.
		fw, err := w.CreateFormFile(string(rune('0'+i)), v+".png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[v]) //nolint:errcheck // a bytes.Buffer
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	return env.Do(t, req)
}

// evGet fetches a plain HTTP route with the API key ("" for none).
func evGet(t *testing.T, env *apptest.Env, key, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// evPDFText extracts the text of a PDF.
func evPDFText(t *testing.T, doc []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatalf("pdf.NewReader() = %v", err)
	}
	rd, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("GetPlainText() = %v", err)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// evJourney records the carrier events of a typical UPS ground parcel for
// a number, ending delivered with a signer, as a webhook would.
func evJourney(t *testing.T, env *apptest.Env, sellerID, number string) {
	t.Helper()
	start := time.Date(2026, 11, 17, 16, 20, 0, 0, time.UTC)
	steps := []struct {
		status shipment.Status
		desc   string
		city   string
		source shipment.Source
	}{
		{shipment.StatusLabelCreated, "Shipper created a label", "", shipment.SourceBackOffice},
		{shipment.StatusInTransit, "Pickup scan", "Reno", shipment.SourceEasyPost},
		{shipment.StatusInTransit, "Departed from facility", "Reno", shipment.SourceEasyPost},
		{shipment.StatusInTransit, "Arrived at facility", "Sacramento", shipment.SourceEasyPost},
		{shipment.StatusInTransit, "Arrived at facility", "Portland", shipment.SourceAfterShip},
		{shipment.StatusOutForDelivery, "Out for delivery today", "Portland", shipment.SourceEasyPost},
		{shipment.StatusDelivered, "Delivered, front porch", "Portland", shipment.SourceEasyPost},
	}
	var evs []shipment.Event
	for i, s := range steps {
		e := shipment.Event{TrackingNumber: number, Carrier: "UPS", OccurredAt: start.Add(time.Duration(i) * 7 * time.Hour),
			Status: s.status, Description: s.desc, Location: shipment.Location{City: s.city, Country: "US"}, Source: s.source}
		if s.status == shipment.StatusDelivered {
			e.SignedBy = "Zoë Müller"
			e.PhotoURL = "https://carrier.example/pod/1.jpg"
		}
		evs = append(evs, e)
	}
	if _, err := env.App.Monitor.RecordEvents(context.Background(), sellerID, evs); err != nil {
		t.Fatalf("RecordEvents() error = %v", err)
	}
}
