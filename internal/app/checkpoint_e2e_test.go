package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/store"
)

const verifyChain = `query($id: ID!) { verifyShipmentEvidence(shipmentId: $id) {
	intact records firstBroken { kind id index reason message chain } head } }`

type chainVerification struct {
	VerifyShipmentEvidence struct {
		Intact      bool
		Records     int
		FirstBroken *struct {
			Index   int
			Reason  string
			Message string
			Chain   *string
		}
		Head *string
	}
}

// checkpointed waits until the seller's latest checkpoint commits to the
// chain of number with records records, and returns its sequence.
func checkpointed(t *testing.T, env *apptest.Env, sellerID, number string, records int) int64 {
	t.Helper()
	db := dbtest.Superuser(t, env.DatabaseURL)
	var seq int64
	apptest.Eventually(t, 30*time.Second, "a checkpoint covering the chain", func() bool {
		err := db.QueryRowContext(context.Background(), `
			SELECT c.sequence FROM evidence_checkpoints c
			JOIN evidence_checkpoint_leaves l ON l.seller_id = c.seller_id AND l.sequence <= c.sequence
			WHERE c.seller_id = $1 AND l.normalized_tracking_number = $2 AND l.records = $3
			ORDER BY c.sequence DESC LIMIT 1`, sellerID, number, records).Scan(&seq)
		return err == nil
	})
	return seq
}

// TestCheckpointCatchesRewind performs the rewind a database superuser can
// do: once a checkpoint covered a parcel's chain, delete the chain's last
// proof and reset the chain's stored head and record count to the record
// before. The chain verifies against itself and its head; the signed
// checkpoint says it is behind, naming it, and later checkpoints keep
// saying so instead of committing to the rewound chain.
func TestCheckpointCatchesRewind(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.CheckpointInterval = time.Second })
	sellerID, key := env.Seller(t, "Northwind Goods")
	rcv := newReceiver(t)
	var set struct {
		SetNotificationEndpoint struct{ Secret string }
	}
	env.MustGraphQL(t, key, `mutation($url: String!) { setNotificationEndpoint(url: $url) { secret } }`,
		map[string]any{"url": rcv.srv.URL + "/shipwatch"}, &set)
	rcv.setSecret(set.SetNotificationEndpoint.Secret)

	sh := create(t, env, key, map[string]any{"orderId": "112-7765543-1203311", "carrier": "ups", "trackingNumber": evNumber})
	evJourney(t, env, sellerID, evNumber) // 7 events and the delivery event's proof
	r := evUpload(t, env, key, recordProof, map[string]any{
		"in":    map[string]any{"shipmentId": sh.ID, "deliveredAt": "2026-11-19T10:21:00Z", "signedBy": "Zoë Müller"},
		"photo": nil, "signature": nil,
	}, map[string][]byte{"photo": evPhoto(t)})
	if len(r.Errors) > 0 {
		t.Fatalf("recordProofOfDelivery errors: %+v", r.Errors)
	}
	seq := checkpointed(t, env, sellerID, evNumber, 9)

	var v chainVerification
	env.MustGraphQL(t, key, verifyChain, map[string]any{"id": sh.ID}, &v)
	if !v.VerifyShipmentEvidence.Intact || v.VerifyShipmentEvidence.Records != 9 {
		t.Fatalf("before the attack: verifyShipmentEvidence = %+v, want intact with 9 records", v.VerifyShipmentEvidence)
	}

	// The public key is served to anyone, and the seller's endpoint got
	// the checkpoint, signed with it.
	code, _, body := evGet(t, env, "", "/checkpoint-key")
	var served struct {
		Algorithm   string `json:"algorithm"`
		PublicKey   string `json:"public_key"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal(body, &served); code != http.StatusOK || err != nil {
		t.Fatalf("GET /checkpoint-key = %d %s", code, body)
	}
	pub := apptest.TestCheckpointKey().Public().(ed25519.PublicKey)
	if served.Algorithm != "Ed25519" || served.PublicKey != checkpoint.EncodePublicKey(pub) || served.Fingerprint != checkpoint.Fingerprint(pub) {
		t.Errorf("GET /checkpoint-key = %+v, want the server's key", served)
	}
	var sent *notify.Checkpoint
	apptest.Eventually(t, 30*time.Second, "the checkpoint delivered to the seller's endpoint", func() bool {
		for _, p := range rcv.payloads() {
			if p.Type == notify.EventCheckpoint && p.Checkpoint != nil && p.Checkpoint.Sequence == seq {
				sent = p.Checkpoint
				return true
			}
		}
		return false
	})
	sig, err := base64.StdEncoding.DecodeString(sent.Signature)
	if err != nil || !ed25519.Verify(pub, []byte(sent.Body), sig) {
		t.Errorf("notified checkpoint %d: signature does not verify over its body (%v)", seq, err)
	}
	if c, err := checkpoint.ParseBody([]byte(sent.Body)); err != nil || c.SellerID != sellerID || c.TreeSize != 1 {
		t.Errorf("notified body = %+v, %v; want the seller's tree of one chain", c, err)
	}

	// The attack, as the superuser with triggers off: drop the last proof,
	// then move the chain's head back to record 8.
	evTamper(t, env, `DELETE FROM proof_images WHERE proof_id IN (
		SELECT p.id FROM proof_of_delivery p JOIN evidence_chains c ON c.id = p.chain_id
		WHERE c.seller_id = $1 AND c.normalized_tracking_number = $2 AND p.seq = 9)`, sellerID, evNumber)
	evTamper(t, env, `DELETE FROM proof_of_delivery p USING evidence_chains c
		WHERE c.id = p.chain_id AND c.seller_id = $1 AND c.normalized_tracking_number = $2 AND p.seq = 9`, sellerID, evNumber)
	evTamper(t, env, `UPDATE evidence_chains c SET records = 8, head = (
			SELECT chain_hash FROM tracking_events WHERE chain_id = c.id AND seq = 8
			UNION ALL SELECT chain_hash FROM proof_of_delivery WHERE chain_id = c.id AND seq = 8)
		WHERE c.seller_id = $1 AND c.normalized_tracking_number = $2`, sellerID, evNumber)

	// Without the checkpoint the chain looks whole: records and head agree.
	chain, err := env.App.Store.ReadChain(context.Background(), env.App.DB, sellerID, store.ChainRef{Number: evNumber})
	if err != nil {
		t.Fatal(err)
	}
	if a := chain.Audit(); !a.Intact || a.Records != 8 {
		t.Fatalf("after the rewind the chain audits as %+v, want intact with 8 records (the attack must fool the old check)", a)
	}

	assertBehind := func(when string) {
		t.Helper()
		var v chainVerification
		env.MustGraphQL(t, key, verifyChain, map[string]any{"id": sh.ID}, &v)
		got := v.VerifyShipmentEvidence
		b := got.FirstBroken
		if got.Intact || b == nil || b.Reason != "BEHIND_CHECKPOINT" || b.Chain == nil || *b.Chain != evNumber ||
			!strings.Contains(b.Message, evNumber) || !strings.Contains(b.Message, "holds 8 records") || !strings.Contains(b.Message, "committed to 9") {
			t.Errorf("%s: verifyShipmentEvidence = %+v (first broken %+v), want intact false, BEHIND_CHECKPOINT naming chain %s, 8 of 9 records",
				when, got, b, evNumber)
		}
	}
	assertBehind("after the rewind")

	// The next checkpoints do not commit to the rewound chain: the job
	// reports it, and the verification still fails.
	signed, behind, err := env.App.Monitor.MakeCheckpoints(context.Background(), 0)
	if err != nil || signed != 0 || len(behind) != 1 || !strings.Contains(behind[0], evNumber) {
		t.Errorf("MakeCheckpoints() after the rewind = %d signed, %q, %v; want none signed and the chain reported", signed, behind, err)
	}
	assertBehind("after another checkpoint run")

	// A forged checkpoint (the root changed to match) fails its signature.
	evTamper(t, env, `UPDATE evidence_checkpoints SET root = decode(repeat('ab', 32), 'hex')
		WHERE seller_id = $1 AND sequence = (SELECT max(sequence) FROM evidence_checkpoints WHERE seller_id = $1)`, sellerID)
	env.MustGraphQL(t, key, verifyChain, map[string]any{"id": sh.ID}, &v)
	if b := v.VerifyShipmentEvidence.FirstBroken; v.VerifyShipmentEvidence.Intact || b == nil || b.Reason != "CHECKPOINT_INVALID" {
		t.Errorf("after forging the checkpoint: verifyShipmentEvidence = %+v, first broken %+v; want CHECKPOINT_INVALID", v.VerifyShipmentEvidence, b)
	}
}

// TestCheckpointInPack: the evidence pack carries the latest checkpoint,
// the chain's inclusion proof and the key, and verifies offline; the PDF
// shows the checkpoint.
func TestCheckpointInPack(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.CheckpointInterval = time.Second })
	sellerID, key := env.Seller(t, "Northwind Goods")
	sh := create(t, env, key, map[string]any{"orderId": "A-1", "carrier": "ups", "trackingNumber": evNumber})
	evJourney(t, env, sellerID, evNumber)
	// A second parcel, so that the tree has more than one leaf.
	create(t, env, key, map[string]any{"orderId": "A-2", "carrier": "usps", "trackingNumber": "9400111899223197428490"})
	evJourney(t, env, sellerID, "9400111899223197428490")
	checkpointed(t, env, sellerID, evNumber, 8)
	checkpointed(t, env, sellerID, "9400111899223197428490", 8)
	var opened struct{ OpenDispute struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($in: DisputeInput!) { openDispute(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"shipmentId": sh.ID, "kind": "NOT_RECEIVED"}}, &opened)

	code, _, body := evGet(t, env, key, "/disputes/"+opened.OpenDispute.ID+"/evidence.json")
	var p evidence.Pack
	if err := json.Unmarshal(body, &p); code != http.StatusOK || err != nil {
		t.Fatalf("GET evidence.json = %d: %v", code, err)
	}
	if p.Checkpoint == nil || p.Checkpoint.Checkpoint.TreeSize != 2 || p.Checkpoint.Leaf.Number != evNumber || len(p.Checkpoint.InclusionProof) != 1 {
		t.Fatalf("pack checkpoint = %+v, want the chain's leaf in a tree of 2 with its proof", p.Checkpoint)
	}
	pub := apptest.TestCheckpointKey().Public().(ed25519.PublicKey)
	if rep, err := evidence.VerifyPack(p, pub); err != nil || rep.Records != 8 {
		t.Errorf("VerifyPack() = %+v, %v; want 8 records anchored", rep, err)
	}
	code, _, pdf := evGet(t, env, key, "/disputes/"+opened.OpenDispute.ID+"/evidence.pdf")
	if code != http.StatusOK {
		t.Fatalf("GET evidence.pdf = %d", code)
	}
	text := evPDFText(t, pdf)
	for _, want := range []string{"Checkpoint", p.Checkpoint.Checkpoint.Root.String()[:32], checkpoint.Fingerprint(pub)[:32]} {
		if !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(want, " ", "")) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}
