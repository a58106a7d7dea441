package evidence

import (
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func sampleEvent() EventRecord {
	return EventRecord{
		ID:                  "1042",
		OccurredAt:          ts("2026-11-19T14:02:11.123456Z"),
		Status:              shipment.StatusDelivered,
		CarrierStatus:       "KB",
		ProviderStatus:      "delivered",
		ProviderDetail:      "arrived_at_destination",
		Description:         "Delivered, front door",
		Location:            shipment.Location{City: "Portland", Region: "OR", PostalCode: "97205", Country: "US"},
		EstimatedDeliveryAt: ptr(ts("2026-11-20T23:59:59Z")),
		SignedBy:            "Zoë Müller",
		PhotoURL:            "https://carrier.example/pod/1042.jpg",
		Source:              shipment.SourceEasyPost,
		ReceivedAt:          ts("2026-11-19T14:03:00Z"),
	}
}

func sampleProof() ProofRecord {
	return ProofRecord{
		ID:                  "7",
		DeliveredAt:         ts("2026-11-19T14:02:00Z"),
		SignedBy:            "Zoë Müller",
		Latitude:            ptr(45.5187312),
		Longitude:           ptr(-122.6794023),
		LocationDescription: "Front porch",
		PhotoSHA256:         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		SignatureSHA256:     "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
		CarrierReference:    "POD-1Z999AA1",
		Source:              shipment.SourceBackOffice,
		RecordedAt:          ts("2026-11-19T15:00:00Z"),
	}
}

// chainOf5 is four events and a proof, linked as the store writes them.
func chainOf5() []StoredRecord {
	var recs []Record
	for i, st := range []shipment.Status{shipment.StatusLabelCreated, shipment.StatusInTransit, shipment.StatusInTransit, shipment.StatusDelivered} {
		e := sampleEvent()
		e.ID = string(rune('1' + i))
		e.Status = st
		e.OccurredAt = e.OccurredAt.Add(time.Duration(i-4) * 24 * time.Hour)
		recs = append(recs, e)
	}
	recs = append(recs, sampleProof())
	return Link(recs)
}

// TestContentHashGolden pins the v1 encoding: if this changes, every
// stored hash stops verifying.
func TestContentHashGolden(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{"event", sampleEvent(), "f41994b169bbcae6eeca0f2cf776ec2619cf16e942b2ec784cef03c0821f137b"},
		{"proof", sampleProof(), "2cc358911558b2dce16de0bb7902ce51d70899e4c30b1e6c059e92e7ffd7faaf"},
		{"empty event", EventRecord{}, "0baad7f884542f21eefd09618f3a1ed841f1395d797b0ace8a00db10c1f8f3b2"},
		{"empty proof", ProofRecord{}, "0d09757fb11f365dad2d6c13e2f475de510cf6a2e6a93d7656c0f81d30907b9b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := ContentHash(tt.rec)
			if got := hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("ContentHash(%s) = %s, want %s", tt.name, got, tt.want)
			}
		})
	}
}

func TestCanonicalLayout(t *testing.T) {
	got := Canonical(ProofRecord{ID: "7", Latitude: ptr(1.5)})
	want := []byte("\x00\x00\x00\x1bshipwatch-evidence-v1/proof" +
		"\x00\x00\x00\x017" + // id
		"\x00\x00\x00\x00" + // delivered_at
		"\x00\x00\x00\x00" + // signed_by
		"\x00\x00\x00\x091.5000000" + // latitude
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + // longitude, location, photo, signature
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00") // carrier ref, source, recorded_at
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Canonical(proof) mismatch (-want +got):\n%s", diff)
	}
}

func TestContentHashSeesEveryField(t *testing.T) {
	base := ContentHash(sampleEvent())
	events := []struct {
		name   string
		change func(*EventRecord)
	}{
		{"id", func(e *EventRecord) { e.ID = "1043" }},
		{"occurred_at", func(e *EventRecord) { e.OccurredAt = e.OccurredAt.Add(time.Microsecond) }},
		{"status", func(e *EventRecord) { e.Status = shipment.StatusException }},
		{"carrier_status", func(e *EventRecord) { e.CarrierStatus = "" }},
		{"provider_status", func(e *EventRecord) { e.ProviderStatus = "x" }},
		{"provider_detail", func(e *EventRecord) { e.ProviderDetail = "x" }},
		{"description", func(e *EventRecord) { e.Description += "." }},
		{"city", func(e *EventRecord) { e.Location.City = "Salem" }},
		{"region", func(e *EventRecord) { e.Location.Region = "WA" }},
		{"postal_code", func(e *EventRecord) { e.Location.PostalCode = "97204" }},
		{"country", func(e *EventRecord) { e.Location.Country = "CA" }},
		{"estimated_delivery_at", func(e *EventRecord) { e.EstimatedDeliveryAt = nil }},
		{"signed_by", func(e *EventRecord) { e.SignedBy = "Zoe Muller" }},
		{"photo_url", func(e *EventRecord) { e.PhotoURL = "" }},
		{"source", func(e *EventRecord) { e.Source = shipment.SourceAfterShip }},
		{"received_at", func(e *EventRecord) { e.ReceivedAt = e.ReceivedAt.Add(time.Second) }},
		// Field boundaries: moving bytes from one field to the next must
		// change the encoding.
		{"boundary", func(e *EventRecord) { e.ProviderStatus, e.ProviderDetail = "deliveredarrived", "_at_destination" }},
	}
	for _, tt := range events {
		e := sampleEvent()
		tt.change(&e)
		if ContentHash(e) == base {
			t.Errorf("ContentHash(event with %s changed) = unchanged, want a different hash", tt.name)
		}
	}
	pbase := ContentHash(sampleProof())
	proofs := []struct {
		name   string
		change func(*ProofRecord)
	}{
		{"id", func(p *ProofRecord) { p.ID = "8" }},
		{"delivered_at", func(p *ProofRecord) { p.DeliveredAt = p.DeliveredAt.Add(time.Minute) }},
		{"signed_by", func(p *ProofRecord) { p.SignedBy = "" }},
		{"latitude", func(p *ProofRecord) { p.Latitude = ptr(45.5187313) }},
		{"longitude", func(p *ProofRecord) { p.Longitude = nil }},
		{"location_description", func(p *ProofRecord) { p.LocationDescription = "Back door" }},
		{"photo_sha256", func(p *ProofRecord) { p.PhotoSHA256 = "" }},
		{"signature_sha256", func(p *ProofRecord) { p.SignatureSHA256 = p.PhotoSHA256 }},
		{"carrier_reference", func(p *ProofRecord) { p.CarrierReference = "POD-2" }},
		{"source", func(p *ProofRecord) { p.Source = shipment.SourceEasyPost }},
		{"recorded_at", func(p *ProofRecord) { p.RecordedAt = time.Time{} }},
	}
	for _, tt := range proofs {
		p := sampleProof()
		tt.change(&p)
		if ContentHash(p) == pbase {
			t.Errorf("ContentHash(proof with %s changed) = unchanged, want a different hash", tt.name)
		}
	}
}

// TestContentHashCanonical lists the differences the encoding ignores on
// purpose: what a database round trip or a pointer changes.
func TestContentHashCanonical(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		a, b Record
	}{
		{"pointer and value", sampleEvent(), ptr(sampleEvent())},
		{"time zone", sampleEvent(), func() EventRecord {
			e := sampleEvent()
			e.OccurredAt = e.OccurredAt.In(paris)
			return e
		}()},
		{"nanoseconds beyond PostgreSQL", sampleEvent(), func() EventRecord {
			e := sampleEvent()
			e.OccurredAt = e.OccurredAt.Add(999 * time.Nanosecond)
			return e
		}()},
		{"hex case", sampleProof(), func() ProofRecord {
			p := sampleProof()
			p.PhotoSHA256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
			return p
		}()},
		{"coordinate below 7 decimals", sampleProof(), func() ProofRecord {
			p := sampleProof()
			p.Latitude = ptr(45.51873124)
			return p
		}()},
	}
	for _, tt := range tests {
		if ContentHash(tt.a) != ContentHash(tt.b) {
			t.Errorf("ContentHash differs for %s, want equal", tt.name)
		}
	}
	if got := ContentHash(nil); got != [32]byte{} {
		t.Errorf("ContentHash(nil) = %x, want zero", got)
	}
	if got := ContentHash((*ProofRecord)(nil)); got != [32]byte{} {
		t.Errorf("ContentHash((*ProofRecord)(nil)) = %x, want zero", got)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]StoredRecord) []StoredRecord
		want   Verification
	}{
		{"intact", nil, Verification{Intact: true, Records: 5}},
		{"empty", func([]StoredRecord) []StoredRecord { return nil }, Verification{Intact: true}},
		{"content of record 3 changed", func(rs []StoredRecord) []StoredRecord {
			e := rs[2].Record.(EventRecord)
			e.Description = "Delivered to neighbour"
			rs[2].Record = e
			return rs
		}, broken(5, KindEvent, "3", 2, ReasonContentChanged)},
		{"content and content hash of record 3 changed", func(rs []StoredRecord) []StoredRecord {
			e := rs[2].Record.(EventRecord)
			e.Status = shipment.StatusException
			rs[2].Record, rs[2].ContentHash = e, ContentHash(e)
			return rs
		}, broken(5, KindEvent, "3", 2, ReasonLinkChanged)},
		{"stored link of record 3 changed", func(rs []StoredRecord) []StoredRecord {
			rs[2].ChainHash[0] ^= 1
			return rs
		}, broken(5, KindEvent, "3", 2, ReasonLinkChanged)},
		{"records 2 and 3 swapped", func(rs []StoredRecord) []StoredRecord {
			rs[1], rs[2] = rs[2], rs[1]
			return rs
		}, broken(5, KindEvent, "3", 1, ReasonLinkChanged)},
		{"record 2 removed", func(rs []StoredRecord) []StoredRecord {
			return slices.Delete(rs, 1, 2)
		}, broken(4, KindEvent, "3", 1, ReasonLinkChanged)},
		{"proof rewritten", func(rs []StoredRecord) []StoredRecord {
			p := rs[4].Record.(ProofRecord)
			p.SignedBy = "Someone Else"
			rs[4].Record = p
			return rs
		}, broken(5, KindProof, "7", 4, ReasonContentChanged)},
		{"nil record", func(rs []StoredRecord) []StoredRecord {
			rs[0].Record = nil
			return rs
		}, broken(5, "", "", 0, ReasonContentChanged)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := chainOf5()
			if tt.tamper != nil {
				rs = tt.tamper(rs)
			}
			if diff := cmp.Diff(tt.want, Verify(rs)); diff != "" {
				t.Errorf("Verify(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func broken(n int, k Kind, id string, index int, r Reason) Verification {
	return Verification{Records: n, FirstBroken: &BrokenRecord{Kind: k, ID: id, Index: index, Reason: r}}
}

func TestLinkHash(t *testing.T) {
	var zero [32]byte
	content := ContentHash(sampleEvent())
	if LinkHash(zero, content) == LinkHash(content, zero) {
		t.Errorf("LinkHash(zero, c) = LinkHash(c, zero), want order to matter")
	}
	rs := Link([]Record{sampleEvent()})
	if got, want := rs[0].ChainHash, LinkHash(zero, content); got != want {
		t.Errorf("Link()[0].ChainHash = %x, want %x", got, want)
	}
}

func BenchmarkVerify(b *testing.B) {
	var recs []Record
	for range 60 {
		recs = append(recs, sampleEvent())
	}
	rs := Link(recs)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(rs).Intact {
			b.Fatal("Verify() = broken, want intact")
		}
	}
}

// TestDocsExampleHashes keeps docs/evidence.md honest: the example hashes
// it lists are the ones the code computes.
func TestDocsExampleHashes(t *testing.T) {
	doc, err := os.ReadFile("../../docs/evidence.md")
	if err != nil {
		t.Fatalf("read docs/evidence.md: %v", err)
	}
	for name, rec := range map[string]Record{
		"sampleEvent": sampleEvent(), "sampleProof": sampleProof(),
		"empty event": EventRecord{}, "empty proof": ProofRecord{},
	} {
		sum := ContentHash(rec)
		if h := hex.EncodeToString(sum[:]); !strings.Contains(string(doc), "`"+h+"`") {
			t.Errorf("docs/evidence.md does not list ContentHash(%s) = %s", name, h)
		}
	}
	if !strings.Contains(string(doc), "`"+eventTag+"`") || !strings.Contains(string(doc), "`"+proofTag+"`") {
		t.Errorf("docs/evidence.md does not name the tags %q and %q", eventTag, proofTag)
	}
}
