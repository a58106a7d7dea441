package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/evidence"
)

const evNumber = "1Z999AA10123456784"

const recordProof = `mutation($in: ProofOfDeliveryInput!, $photo: Upload, $signature: Upload) {
	recordProofOfDelivery(input: $in, photo: $photo, signature: $signature) {
		id shipmentId deliveredAt signedBy location { latitude longitude description }
		photo { contentType bytes sha256 url } signature { contentType bytes sha256 url }
		carrierReference source seq contentHash chainHash } }`

type proofJSON struct {
	ID         string  `json:"id"`
	ShipmentID *string `json:"shipmentId"`
	SignedBy   *string `json:"signedBy"`
	Location   *struct {
		Latitude    *float64 `json:"latitude"`
		Longitude   *float64 `json:"longitude"`
		Description *string  `json:"description"`
	} `json:"location"`
	Photo *struct {
		ContentType string `json:"contentType"`
		Bytes       int    `json:"bytes"`
		Sha256      string `json:"sha256"`
		URL         string `json:"url"`
	} `json:"photo"`
	Signature *struct {
		ContentType string `json:"contentType"`
		URL         string `json:"url"`
	} `json:"signature"`
	CarrierPhotoURL *string `json:"carrierPhotoUrl"`
	Source          string  `json:"source"`
	Seq             int     `json:"seq"`
	ContentHash     string  `json:"contentHash"`
}

type disputeJSON struct {
	ID                  string  `json:"id"`
	Kind                string  `json:"kind"`
	Status              string  `json:"status"`
	Outcome             *string `json:"outcome"`
	Amount              *string `json:"amount"`
	Currency            *string `json:"currency"`
	PacksGenerated      int     `json:"packsGenerated"`
	LastPackGeneratedAt *string `json:"lastPackGeneratedAt"`
	EvidencePDFURL      string  `json:"evidencePdfUrl"`
	Shipment            struct {
		ID string `json:"id"`
	} `json:"shipment"`
}

const disputeFields = `id kind status outcome amount currency packsGenerated lastPackGeneratedAt evidencePdfUrl shipment { id }`

type verificationJSON struct {
	Intact      bool `json:"intact"`
	Records     int  `json:"records"`
	FirstBroken *struct {
		Kind    *string `json:"kind"`
		ID      *string `json:"id"`
		Index   int     `json:"index"`
		Reason  string  `json:"reason"`
		Message string  `json:"message"`
	} `json:"firstBroken"`
	Head *string `json:"head"`
}

const verify = `query($id: ID!) { verifyShipmentEvidence(shipmentId: $id) {
	intact records firstBroken { kind id index reason message } head } }`

// TestEvidenceEndToEnd walks the whole story: a parcel is delivered with a
// signer, the seller records its own proof with a photo and signature, the
// buyer disputes, the seller downloads the evidence pack; then someone
// edits the database behind the API's back and the chain says so.
func TestEvidenceEndToEnd(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Northwind Goods")
	sh := create(t, env, key, map[string]any{"orderId": "112-7765543-1203311", "carrier": "ups", "trackingNumber": evNumber,
		"service": "Ground", "deliverBy": "2026-11-20T23:59:00Z", "destination": map[string]any{"postalCode": "97205", "country": "US"}})
	evJourney(t, env, sellerID, evNumber)

	photo, signature := evPhoto(t), evSignature(t)
	r := evUpload(t, env, key, recordProof, map[string]any{
		"in": map[string]any{"shipmentId": sh.ID, "deliveredAt": "2026-11-19T10:21:00Z", "signedBy": "Zoë Müller",
			"location":         map[string]any{"latitude": 45.5187312, "longitude": -122.6794023, "description": "Front porch"},
			"carrierReference": "POD-5521"},
		"photo": nil, "signature": nil,
	}, map[string][]byte{"photo": photo, "signature": signature})
	if len(r.Errors) > 0 {
		t.Fatalf("recordProofOfDelivery errors: %+v", r.Errors)
	}
	var rec struct{ RecordProofOfDelivery proofJSON }
	r.Decode(t, &rec)
	p := rec.RecordProofOfDelivery
	if p.Source != "BACK_OFFICE" || p.Photo == nil || p.Photo.ContentType != "image/png" || p.Signature == nil ||
		p.Signature.ContentType != "image/jpeg" || p.Seq != 9 || p.Location == nil || *p.Location.Latitude != 45.5187312 {
		t.Errorf("recorded proof = %+v, want BACK_OFFICE, a PNG photo, a JPEG signature, seq 9 (7 events and the event's proof before)", p)
	}

	// The images download with the key, and only with the key.
	code, hdr, body := evGet(t, env, key, p.Photo.URL)
	if code != http.StatusOK || hdr.Get("Content-Type") != "image/png" || !bytes.Equal(body, photo) {
		t.Errorf("GET %s = %d %s (%d bytes), want the photo", p.Photo.URL, code, hdr.Get("Content-Type"), len(body))
	}
	if code, _, _ := evGet(t, env, "", p.Photo.URL); code != http.StatusUnauthorized {
		t.Errorf("GET photo without a key = %d, want 401", code)
	}

	// The shipment lists both proofs: the carrier's and the seller's.
	var got struct {
		Shipment struct{ ProofOfDelivery []proofJSON }
	}
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { proofOfDelivery { id signedBy source seq carrierPhotoUrl } } }`,
		map[string]any{"id": sh.ID}, &got)
	if pods := got.Shipment.ProofOfDelivery; len(pods) != 2 || pods[0].Source != "EASYPOST" || pods[0].CarrierPhotoURL == nil || pods[1].ID != p.ID {
		t.Errorf("proofOfDelivery = %+v, want the EasyPost event's then the recorded one", pods)
	}

	var opened struct{ OpenDispute disputeJSON }
	env.MustGraphQL(t, key, `mutation($in: DisputeInput!) { openDispute(input: $in) { `+disputeFields+` } }`, map[string]any{"in": map[string]any{
		"shipmentId": sh.ID, "kind": "A_TO_Z_CLAIM", "externalReference": "AZ-114-2231907",
		"respondBy": time.Now().Add(12 * time.Hour).UTC().Format(time.RFC3339), "amount": "049.990", "currency": "usd",
		"note": "Buyer says it never arrived"}}, &opened)
	d := opened.OpenDispute
	if d.Status != "OPEN" || *d.Amount != "49.990" || *d.Currency != "USD" || d.PacksGenerated != 0 || d.Shipment.ID != sh.ID ||
		d.EvidencePDFURL != "/disputes/"+d.ID+"/evidence.pdf" {
		t.Errorf("openDispute = %+v", d)
	}

	// The JSON pack: everything, with the images inside.
	start := time.Now()
	code, hdr, body = evGet(t, env, key, "/disputes/"+d.ID+"/evidence.json")
	t.Logf("evidence.json for %d records generated in %s", 9, time.Since(start))
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET evidence.json = %d %s: %s", code, hdr.Get("Content-Type"), body)
	}
	var pack evidence.Pack
	if err := json.Unmarshal(body, &pack); err != nil {
		t.Fatal(err)
	}
	if len(pack.Timeline) != 7 || len(pack.Proofs) != 2 || !pack.Verification.Intact || pack.Verification.Records != 9 ||
		pack.Shipment.TrackingNumber != evNumber || pack.Dispute.ExternalReference != "AZ-114-2231907" || pack.Seller.Name != "Northwind Goods" {
		t.Errorf("pack: %d events, %d proofs, %+v, shipment %+v", len(pack.Timeline), len(pack.Proofs), pack.Verification, pack.Shipment)
	}
	if pr := pack.Proofs[1]; pr.Photo == nil || !bytes.Equal(pr.Photo.Bytes, photo) || pr.Signature == nil || !bytes.Equal(pr.Signature.Bytes, signature) {
		t.Errorf("pack proof images not attached: %+v", pr.ProofRecord)
	}
	if pack.Promise.OnTime == nil || !*pack.Promise.OnTime {
		t.Errorf("promise = %+v, want on time", pack.Promise)
	}
	// The carrier's proof names its delivery event, so the PDF can show
	// where that scan was; the seller's own proof has none.
	if pack.Proofs[0].EventID == "" || pack.Proofs[0].EventID != pack.Timeline[len(pack.Timeline)-1].ID || pack.Proofs[1].EventID != "" {
		t.Errorf("proof event ids = %q, %q; want the delivery event's, then none", pack.Proofs[0].EventID, pack.Proofs[1].EventID)
	}
	if pack.Seller.TimeZone == "" || pack.Findings == nil {
		t.Errorf("pack seller = %+v, findings %v: want the seller's zone and a findings list", pack.Seller, pack.Findings)
	}
	// Anyone can recompute the chain from the JSON alone.
	var records []evidence.StoredRecord
	for _, e := range pack.Timeline {
		records = append(records, storedFromJSON(t, e.Seq, e.EventRecord, e.ContentHash, e.ChainHash))
	}
	for _, pr := range pack.Proofs {
		records = append(records, storedFromJSON(t, pr.Seq, pr.ProofRecord, pr.ContentHash, pr.ChainHash))
	}
	if v := evidence.Verify(bySeq(records, pack)); !v.Intact {
		t.Errorf("chain recomputed from evidence.json = %+v, want intact", v)
	}

	// The PDF reads: number, signer, verdict.
	start = time.Now()
	code, hdr, body = evGet(t, env, key, "/disputes/"+d.ID+"/evidence.pdf")
	t.Logf("evidence.pdf generated in %s (%d bytes)", time.Since(start), len(body))
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET evidence.pdf = %d %s", code, hdr.Get("Content-Type"))
	}
	if dir := os.Getenv("SHIPWATCH_TEST_PDF_DIR"); dir != "" { // to look at it
		if err := os.WriteFile(filepath.Join(dir, "evidence-e2e.pdf"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := evPDFText(t, body)
	for _, want := range []string{evNumber, "Zoë Müller", "Evidence chain intact: 9 records verified", "AZ-114-2231907"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	var after struct{ Dispute disputeJSON }
	env.MustGraphQL(t, key, `query($id: ID!) { dispute(id: $id) { `+disputeFields+` } }`, map[string]any{"id": d.ID}, &after)
	if after.Dispute.PacksGenerated != 2 || after.Dispute.LastPackGeneratedAt == nil {
		t.Errorf("dispute after two packs = %+v, want 2 generations recorded", after.Dispute)
	}

	var v struct{ VerifyShipmentEvidence verificationJSON }
	env.MustGraphQL(t, key, verify, map[string]any{"id": sh.ID}, &v)
	if !v.VerifyShipmentEvidence.Intact || v.VerifyShipmentEvidence.Records != 9 || v.VerifyShipmentEvidence.Head == nil {
		t.Errorf("verifyShipmentEvidence = %+v, want intact with 9 records", v.VerifyShipmentEvidence)
	}

	// Someone with superuser access edits the signer behind the API's back.
	evTamper(t, env, `UPDATE proof_of_delivery SET signed_by = 'Somebody Else' WHERE id = $1`, p.ID)
	env.MustGraphQL(t, key, verify, map[string]any{"id": sh.ID}, &v)
	b := v.VerifyShipmentEvidence.FirstBroken
	if v.VerifyShipmentEvidence.Intact || b == nil || *b.ID != p.ID || *b.Kind != "PROOF" || b.Index != 8 || b.Reason != "CONTENT_CHANGED" {
		t.Errorf("verifyShipmentEvidence after tampering = %+v (%+v), want broken at proof %s, content changed", v.VerifyShipmentEvidence, b, p.ID)
	}
	_, _, body = evGet(t, env, key, "/disputes/"+d.ID+"/evidence.pdf")
	if text := strings.Join(strings.Fields(evPDFText(t, body)), " "); !strings.Contains(text, "Evidence chain BROKEN at record #9 (proof "+p.ID+"): content changed") {
		t.Errorf("the PDF of a tampered chain does not say it is broken:\n%s", evPDFText(t, body))
	}

	var closed struct{ CloseDispute disputeJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { closeDispute(id: $id, outcome: WON) { `+disputeFields+` } }`, map[string]any{"id": d.ID}, &closed)
	if closed.CloseDispute.Status != "CLOSED" || *closed.CloseDispute.Outcome != "WON" {
		t.Errorf("closeDispute = %+v", closed.CloseDispute)
	}
	r = env.GraphQL(t, key, `mutation($id: ID!) { updateDispute(id: $id, input: {note: "late"}) { id } }`, map[string]any{"id": d.ID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("updateDispute on a closed dispute: %+v, want BAD_USER_INPUT", r.Errors)
	}
}

func storedFromJSON(t *testing.T, seq int, rec evidence.Record, content, chain string) evidence.StoredRecord {
	t.Helper()
	sr := evidence.StoredRecord{Record: rec}
	for dst, src := range map[*[32]byte]string{&sr.ContentHash: content, &sr.ChainHash: chain} {
		b, err := hex.DecodeString(src)
		if err != nil || len(b) != 32 {
			t.Fatalf("record %d: hash %q", seq, src)
		}
		copy(dst[:], b)
	}
	return sr
}

// bySeq puts records (timeline first, then proofs) in chain order.
func bySeq(records []evidence.StoredRecord, p evidence.Pack) []evidence.StoredRecord {
	out := make([]evidence.StoredRecord, len(records))
	i := 0
	for _, e := range p.Timeline {
		out[e.Seq-1] = records[i]
		i++
	}
	for _, pr := range p.Proofs {
		out[pr.Seq-1] = records[i]
		i++
	}
	return out
}

// evTamper runs SQL as the superuser with the triggers switched off.
func evTamper(t *testing.T, env *apptest.Env, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := dbtest.Superuser(t, env.DatabaseURL).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `SET session_replication_role = DEFAULT`) //nolint:errcheck // best effort before the connection returns
	if _, err := conn.ExecContext(ctx, sql, args...); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// TestProofImagesAreChecked: the type comes from the bytes, never the file
// name, and the size is bounded.
func TestProofImagesAreChecked(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.MaxImageBytes = 4096 })
	_, key := env.Seller(t, "Northwind")
	sh := create(t, env, key, map[string]any{"orderId": "A-1"})
	in := map[string]any{"shipmentId": sh.ID, "deliveredAt": "2026-11-19T10:21:00Z", "signedBy": "Ann"}
	big := append(evPhoto(t), make([]byte, 5000)...)
	tests := []struct {
		name  string
		file  []byte
		field string
		want  string
	}{
		{"a PDF named photo.png", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "photo", "PDF document"},
		{"an iPhone HEIC photo", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 16)...), "photo", "HEIC"},
		{"too large", big, "photo", "limit"},
		{"an empty signature", []byte{}, "signature", "empty"},
	}
	for _, tt := range tests {
		r := evUpload(t, env, key, recordProof, map[string]any{"in": in, "photo": nil, "signature": nil},
			map[string][]byte{tt.field: tt.file})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tt.field ||
			!strings.Contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT on %s mentioning %q", tt.name, r.Errors, tt.field, tt.want)
		}
	}
	// A shipment without a number keeps its proofs in its own chain.
	r := evUpload(t, env, key, recordProof, map[string]any{"in": in, "photo": nil, "signature": nil},
		map[string][]byte{"photo": evPhoto(t)})
	if len(r.Errors) > 0 {
		t.Fatalf("recordProofOfDelivery: %+v", r.Errors)
	}
	var v struct{ VerifyShipmentEvidence verificationJSON }
	env.MustGraphQL(t, key, verify, map[string]any{"id": sh.ID}, &v)
	if !v.VerifyShipmentEvidence.Intact || v.VerifyShipmentEvidence.Records != 1 {
		t.Errorf("verifyShipmentEvidence = %+v, want one intact record", v.VerifyShipmentEvidence)
	}
	// Evidence cannot be changed through the API: no mutation offers it.
	var schema struct {
		Schema struct {
			MutationType struct{ Fields []struct{ Name string } }
		} `json:"__schema"`
	}
	env.MustGraphQL(t, key, `{ __schema { mutationType { fields { name } } } }`, nil, &schema)
	for _, f := range schema.Schema.MutationType.Fields {
		n := strings.ToLower(f.Name)
		if (strings.Contains(n, "proof") || strings.Contains(n, "event") || strings.Contains(n, "evidence")) && !strings.HasPrefix(n, "record") {
			t.Errorf("mutation %s may change evidence; evidence is only ever recorded", f.Name)
		}
	}
}
