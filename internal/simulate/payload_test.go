package simulate

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

var testNow = time.Date(2026, 7, 20, 12, 0, 0, 0, time.UTC)

// provider bundles one provider's builder, signer, verifier and parser.
type provider struct {
	name   string
	build  func(string, string, []shipment.Event, time.Time) []byte
	sign   func([]byte, string) (string, string)
	verify func([]byte, http.Header, string) error
	parse  func([]byte) (webhook.Payload, error)
	source shipment.Source
	// country is how the provider writes the simulator's "US".
	country string
}

var providers = []provider{
	{"easypost", EasyPostPayload, SignEasyPost, webhook.VerifyEasyPost, webhook.ParseEasyPost, shipment.SourceEasyPost, "US"},
	{"aftership", AfterShipPayload, SignAfterShip, webhook.VerifyAfterShip, webhook.ParseAfterShip, shipment.SourceAfterShip, "USA"},
}

// TestPayloadRoundTrip builds every prefix of every kind of life as each
// provider's webhook, parses it back with the webhook package and expects
// the same events: the builders and docs/events.md agree.
func TestPayloadRoundTrip(t *testing.T) {
	for _, pr := range providers {
		for _, o := range Outcomes {
			for i, carrier := range testCarriers {
				s := testShipment(i, carrier)
				life := Plan(s, o, rand.New(rand.NewPCG(uint64(i), 11)))
				for n := 1; n <= len(life.Events); n++ {
					events := life.Events[:n]
					got, err := pr.parse(pr.build(s.TrackingNumber, s.Carrier, events, testNow))
					if err != nil {
						t.Fatalf("%s %s %s: parse(build(%d events)) error = %v", pr.name, o, carrier, n, err)
					}
					if got.TrackingNumber != s.TrackingNumber || !strings.EqualFold(got.Carrier, s.Carrier) {
						t.Errorf("%s: parsed tracking %q carrier %q, want %q %q", pr.name, got.TrackingNumber, got.Carrier, s.TrackingNumber, s.Carrier)
					}
					if diff := cmp.Diff(expected(pr, events), comparable(got.Events)); diff != "" {
						t.Fatalf("%s %s %s, %d events: round trip mismatch (-want +got):\n%s", pr.name, o, carrier, n, diff)
					}
				}
			}
		}
	}
}

// roundTripped is what must survive a provider round trip.
type roundTripped struct {
	OccurredAt          time.Time
	Status              shipment.Status
	CarrierStatus       string
	Description         string
	Location            shipment.Location
	EstimatedDeliveryAt *time.Time
	SignedBy            string
	Source              shipment.Source
}

func expected(pr provider, events []shipment.Event) []roundTripped {
	var out []roundTripped
	for _, e := range events {
		e.Location.Country = pr.country
		out = append(out, roundTripped{e.OccurredAt, e.Status, e.CarrierStatus, e.Description, e.Location, e.EstimatedDeliveryAt, e.SignedBy, pr.source})
	}
	return out
}

func comparable(events []shipment.Event) []roundTripped {
	var out []roundTripped
	for _, e := range events {
		out = append(out, roundTripped{e.OccurredAt, e.Status, e.CarrierStatus, e.Description, e.Location, e.EstimatedDeliveryAt, e.SignedBy, e.Source})
	}
	return out
}

func TestPayloadEnvelope(t *testing.T) {
	life := Plan(testShipment(1, "fedex"), OutcomeDelivered, rand.New(rand.NewPCG(1, 1)))
	tests := []struct {
		name string
		body []byte
		want map[string]any // top-level and nested values by dotted path
	}{
		{"easypost", EasyPostPayload("T1", "fedex", life.Events, testNow), map[string]any{
			"description": "tracker.updated", "object": "Event", "result.object": "Tracker",
			"result.status": "delivered", "result.carrier": "FedEx", "result.finalized": true,
			"result.signed_by":           life.Events[len(life.Events)-1].SignedBy,
			"previous_attributes.status": "out_for_delivery",
		}},
		{"aftership", AfterShipPayload("T1", "fedex", life.Events, testNow), map[string]any{
			"event": "tracking_update", "msg.tag": "Delivered", "msg.subtag": "Delivered_003", "msg.slug": "fedex",
			"msg.active": false, "is_tracking_first_tag": true, "ts": float64(testNow.Unix()),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(tt.body, &doc); err != nil {
				t.Fatal(err)
			}
			for path, want := range tt.want {
				var v any = doc
				for _, k := range strings.Split(path, ".") {
					v = v.(map[string]any)[k]
				}
				if v != want {
					t.Errorf("%s = %v, want %v", path, v, want)
				}
			}
		})
	}
}

// Without events the providers say nothing is known yet, and the parser
// makes no event of it.
func TestPayloadWithoutEvents(t *testing.T) {
	for _, pr := range providers {
		got, err := pr.parse(pr.build("T0", "usps", nil, testNow))
		if err != nil || len(got.Events) != 0 || got.TrackingNumber != "T0" {
			t.Errorf("%s: parse(build(no events)) = %d events, %q, %v; want none, T0, nil", pr.name, len(got.Events), got.TrackingNumber, err)
		}
	}
}

func TestSignatures(t *testing.T) {
	const secret = "s\u00e9cret-\uff21" // é and a fullwidth A, which NFKD folds
	for _, pr := range providers {
		body := pr.build("T1", "usps", Plan(testShipment(1, "usps"), OutcomeAttempt, rand.New(rand.NewPCG(2, 2))).Events, testNow)
		name, value := pr.sign(body, secret)
		h := http.Header{}
		h.Set(name, value)
		if err := pr.verify(body, h, secret); err != nil {
			t.Errorf("%s: verify(sign(body)) = %v, want nil", pr.name, err)
		}
		if err := pr.verify(append(bytes.Clone(body), ' '), h, secret); err == nil {
			t.Errorf("%s: verify accepted a changed body", pr.name)
		}
	}
}

// The signer reproduces EasyPost's official test vector (the webhook
// package's fixture without its final newline, secret "sécret").
func TestSignEasyPostVector(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "webhook", "testdata", "easypost-tracker-updated-fixture.json"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	name, value := SignEasyPost(bytes.TrimSuffix(b, []byte("\n")), "s\u00e9cret")
	const want = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
	if name != "X-Hmac-Signature" || value != want {
		t.Errorf("SignEasyPost() = %s: %s, want X-Hmac-Signature: %s", name, value, want)
	}
}

func BenchmarkAfterShipPayload(b *testing.B) {
	life := Plan(testShipment(1, "usps"), OutcomeDelivered, rand.New(rand.NewPCG(1, 1)))
	for b.Loop() {
		AfterShipPayload("T1", "usps", life.Events, testNow)
	}
}
