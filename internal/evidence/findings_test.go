package evidence

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func TestFindings(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Pack)
		want []Finding
	}{
		{"consistent", func(*Pack) {}, []Finding{}},
		{"ZIP+4 of the same ZIP", func(p *Pack) { p.Shipment.Destination.PostalCode = "97205-1234" }, []Finding{}},
		{"no destination postal code", func(p *Pack) { p.Shipment.Destination.PostalCode = "" }, []Finding{}},
		{"signer written differently", func(p *Pack) { p.Proofs[0].SignedBy = "zoë  müller." }, []Finding{}},
		{
			"delivered elsewhere",
			func(p *Pack) { p.Shipment.Destination.PostalCode = "10001" },
			[]Finding{{FindingLocationMismatch, "The carrier's delivery scan is in Portland, OR 97205, US, but the order was sent to postal code 10001."}},
		},
		{
			"carrier and back office name different signers",
			func(p *Pack) { p.Proofs[0].SignedBy, p.Proofs[0].Source = "Z MULLER", shipment.SourceBackOffice },
			[]Finding{{FindingSignersDiffer, `The records name different signers: "Zoë Müller" (EasyPost delivery scan), "Z MULLER" (Back office proof of delivery).`}},
		},
	}
	for _, tt := range tests {
		p := samplePack(t, 10)
		tt.edit(&p)
		if diff := cmp.Diff(tt.want, Findings(p)); diff != "" {
			t.Errorf("%s: Findings() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// The PDF speaks the seller's language: carrier and dispute names as
// people write them, times in the seller's zone next to UTC, the records
// of the hash table named as the timeline and proofs name them, the
// findings in plain view, and a carrier proof's place taken from its
// delivery scan.
func TestRenderPDFForPeople(t *testing.T) {
	p := samplePack(t, 10)
	p.Seller.TimeZone = "America/Los_Angeles"
	p.Shipment.Carrier = "ups"
	p.Shipment.Destination.PostalCode = "10001"
	last := p.Timeline[len(p.Timeline)-1]
	p.Proofs[0].EventID = last.ID
	p.Proofs[0].Latitude, p.Proofs[0].Longitude, p.Proofs[0].LocationDescription = nil, nil, ""
	p.Findings = Findings(p)
	text, _ := extractText(t, render(t, p))
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"UPS Ground",
		"A-to-z claim",
		"Tracking timeline (10 events, times in America/Los_Angeles)",
		"2026-11-19 06:20 PST (14:20 UTC)",    // delivered, in the grid
		"Event: Delivered, 2026-11-19 01:44",  // the hash table names the record
		"Proof of delivery: 2026-11-19 06:20", // and the proof
		"The carrier's delivery scan is in Portland, OR 97205, US, but the order was sent to postal code 10001.",
		"Portland, OR 97205, US (carrier's delivery scan, #10)",
		"not given by the carrier",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF does not say %q; text:\n%s", want, flat)
		}
	}
	for _, bad := range []string{"ups Ground", "A to z claim", "Event 1009", "event 1009"} {
		if strings.Contains(flat, bad) {
			t.Errorf("the PDF says %q", bad)
		}
	}
}
