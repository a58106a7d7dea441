package evidence

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewPromise(t *testing.T) {
	now := ts("2026-11-25T09:30:00Z")
	endOfDay := ts("2026-11-20T23:59:59Z")
	noon := ts("2026-11-20T12:00:00Z")
	tests := []struct {
		name        string
		by, at      *time.Time
		wantOnTime  *bool
		wantVerdict string
	}{
		{"a day early", &endOfDay, ptr(ts("2026-11-19T14:02:00Z")), ptr(true),
			"Delivered 2026-11-19 14:02 UTC, 1 day before the promised 2026-11-20."},
		{"three days early", &endOfDay, ptr(ts("2026-11-17T09:00:00Z")), ptr(true),
			"Delivered 2026-11-17 09:00 UTC, 3 days before the promised 2026-11-20."},
		{"on the day", &endOfDay, ptr(ts("2026-11-20T18:45:00Z")), ptr(true),
			"Delivered 2026-11-20 18:45 UTC, on time for the promised 2026-11-20."},
		{"exactly at the deadline", &noon, &noon, ptr(true),
			"Delivered 2026-11-20 12:00 UTC, on time for the promised 2026-11-20 12:00 UTC."},
		{"two days late", &endOfDay, ptr(ts("2026-11-22T10:00:00Z")), ptr(false),
			"Delivered 2026-11-22 10:00 UTC, 2 days after the promised 2026-11-20."},
		{"hours late on the day", &noon, ptr(ts("2026-11-20T15:10:00Z")), ptr(false),
			"Delivered 2026-11-20 15:10 UTC, 3 hours after the promised 2026-11-20 12:00 UTC."},
		{"minutes late", &noon, ptr(ts("2026-11-20T12:07:00Z")), ptr(false),
			"Delivered 2026-11-20 12:07 UTC, 7 minutes after the promised 2026-11-20 12:00 UTC."},
		{"seconds late", &noon, ptr(ts("2026-11-20T12:00:20Z")), ptr(false),
			"Delivered 2026-11-20 12:00 UTC, 1 minute after the promised 2026-11-20 12:00 UTC."},
		{"other time zone", ptr(endOfDay.In(time.FixedZone("PST", -8*3600))), ptr(ts("2026-11-19T14:02:00Z")), ptr(true),
			"Delivered 2026-11-19 14:02 UTC, 1 day before the promised 2026-11-20."},
		{"no promise", nil, ptr(ts("2026-11-19T14:02:00Z")), nil,
			"Delivered 2026-11-19 14:02 UTC; no delivery promise on file."},
		{"not delivered, deadline passed", &endOfDay, nil, ptr(false),
			"Not delivered; the promised 2026-11-20 has passed."},
		{"not delivered yet", ptr(ts("2026-11-30T23:59:59Z")), nil, nil,
			"Not delivered yet; promised by 2026-11-30."},
		{"nothing known", nil, nil, nil,
			"Not delivered yet; no delivery promise on file."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPromise(tt.by, tt.at, now)
			if diff := cmp.Diff(tt.wantOnTime, got.OnTime); diff != "" {
				t.Errorf("NewPromise(%s).OnTime mismatch (-want +got):\n%s", tt.name, diff)
			}
			if got.Verdict != tt.wantVerdict {
				t.Errorf("NewPromise(%s).Verdict = %q, want %q", tt.name, got.Verdict, tt.wantVerdict)
			}
		})
	}
}

func TestChain(t *testing.T) {
	rs := chainOf5()
	timeline, proofs, v := Chain(rs)
	if len(timeline) != 4 || len(proofs) != 1 {
		t.Fatalf("Chain() = %d events, %d proofs, want 4 and 1", len(timeline), len(proofs))
	}
	if !v.Intact || v.Records != 5 {
		t.Errorf("Chain() verification = %+v, want intact with 5 records", v)
	}
	if got, want := proofs[0].Seq, 5; got != want {
		t.Errorf("Chain() proof Seq = %d, want %d", got, want)
	}
	// The pack's JSON must be enough to recompute every hash.
	for _, e := range timeline {
		sum := ContentHash(e.EventRecord)
		if got := hexOf(sum); got != e.ContentHash {
			t.Errorf("ContentHash(timeline[%d]) = %s, want stored %s", e.Seq, got, e.ContentHash)
		}
	}
	if got := hexOf(ContentHash(proofs[0].ProofRecord)); got != proofs[0].ContentHash {
		t.Errorf("ContentHash(proof) = %s, want stored %s", got, proofs[0].ContentHash)
	}
}

func hexOf(b [32]byte) string { return hex.EncodeToString(b[:]) }

// TestPackJSON checks the evidence.json contract: snake_case keys, images
// as base64, and a document that decodes back to the same pack.
func TestPackJSON(t *testing.T) {
	p := samplePack(t, 10)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("json.Marshal(pack) = %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("json.Unmarshal(evidence.json) = %v", err)
	}
	for _, key := range []string{"generated_at", "seller", "dispute", "shipment", "promise", "timeline", "proofs", "verification"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("evidence.json has no %q key", key)
		}
	}
	event := doc["timeline"].([]any)[0].(map[string]any)
	for _, key := range []string{"seq", "id", "occurred_at", "status", "location", "source", "received_at", "content_hash", "chain_hash"} {
		if _, ok := event[key]; !ok {
			t.Errorf("evidence.json timeline[0] has no %q key; got %v", key, event)
		}
	}
	proof := doc["proofs"].([]any)[0].(map[string]any)
	photo := proof["photo"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(photo["bytes"].(string))
	if err != nil {
		t.Fatalf("evidence.json photo bytes are not base64: %v", err)
	}
	if got, want := photo["sha256"], hexSHA(raw); got != want {
		t.Errorf("evidence.json photo sha256 = %v, want %v", got, want)
	}
	if got, want := proof["photo_sha256"], hexSHA(raw); got != want {
		t.Errorf("evidence.json photo_sha256 = %v, want %v", got, want)
	}
	if got := doc["verification"].(map[string]any)["first_broken"]; got != nil {
		t.Errorf("evidence.json verification.first_broken = %v, want null", got)
	}
	var back Pack
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal(evidence.json, &Pack) = %v", err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("Pack JSON round trip mismatch (-want +got):\n%s", diff)
	}
}
