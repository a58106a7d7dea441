package app_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// TestEvidenceTenancy: seller B can neither open a dispute on A's
// shipment nor read, change, count, verify or download anything of A's
// evidence, by id or in lists.
func TestEvidenceTenancy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerA, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	a := create(t, env, keyA, map[string]any{"orderId": "A-1", "trackingNumber": evNumber})
	evJourney(t, env, sellerA, evNumber)
	r := evUpload(t, env, keyA, recordProof, map[string]any{
		"in": map[string]any{"shipmentId": a.ID, "deliveredAt": "2026-11-19T10:21:00Z", "signedBy": "Ann"}, "photo": nil, "signature": nil,
	}, map[string][]byte{"photo": evPhoto(t), "signature": evSignature(t)})
	if len(r.Errors) > 0 {
		t.Fatalf("recordProofOfDelivery: %+v", r.Errors)
	}
	var rec struct{ RecordProofOfDelivery proofJSON }
	r.Decode(t, &rec)
	proofID := rec.RecordProofOfDelivery.ID
	var opened struct{ OpenDispute disputeJSON }
	env.MustGraphQL(t, keyA, `mutation($id: ID!) { openDispute(input: {shipmentId: $id, kind: CHARGEBACK, externalReference: "CB-1"}) { id } }`,
		map[string]any{"id": a.ID}, &opened)
	disputeID := opened.OpenDispute.ID

	notFound := map[string]struct {
		query string
		vars  map[string]any
	}{
		"openDispute on A's shipment": {`mutation($id: ID!) { openDispute(input: {shipmentId: $id, kind: NOT_RECEIVED}) { id } }`, map[string]any{"id": a.ID}},
		"dispute":                     {`query($id: ID!) { dispute(id: $id) { id } }`, map[string]any{"id": disputeID}},
		"updateDispute":               {`mutation($id: ID!) { updateDispute(id: $id, input: {note: "hijacked"}) { id } }`, map[string]any{"id": disputeID}},
		"closeDispute":                {`mutation($id: ID!) { closeDispute(id: $id, outcome: WITHDRAWN) { id } }`, map[string]any{"id": disputeID}},
		"verifyShipmentEvidence":      {`query($id: ID!) { verifyShipmentEvidence(shipmentId: $id) { intact } }`, map[string]any{"id": a.ID}},
		"recordProofOfDelivery":       {`mutation($id: ID!) { recordProofOfDelivery(input: {shipmentId: $id, deliveredAt: "2026-11-19T10:21:00Z", signedBy: "B"}) { id } }`, map[string]any{"id": a.ID}},
		"dispute, garbage id":         {`query($id: ID!) { dispute(id: $id) { id } }`, map[string]any{"id": "not-a-uuid"}},
	}
	for name, c := range notFound {
		r := env.GraphQL(t, keyB, c.query, c.vars)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("B %s: errors = %+v, want NOT_FOUND", name, r.Errors)
		}
	}
	for _, filter := range []string{`{}`, `{statuses: [OPEN]}`, `{kinds: [CHARGEBACK]}`, `{shipmentId: "` + a.ID + `"}`} {
		var list struct {
			Disputes struct {
				Edges      []struct{ Node disputeJSON }
				TotalCount int
			}
		}
		env.MustGraphQL(t, keyB, `{ disputes(filter: `+filter+`) { edges { node { id } } totalCount } }`, nil, &list)
		if list.Disputes.TotalCount != 0 || len(list.Disputes.Edges) != 0 {
			t.Errorf("B lists %d / counts %d of A's disputes with filter %s", len(list.Disputes.Edges), list.Disputes.TotalCount, filter)
		}
	}
	// B's own shipment with the same number has none of A's proofs.
	b := create(t, env, keyB, map[string]any{"orderId": "B-1", "trackingNumber": evNumber})
	var got struct {
		Shipment struct{ ProofOfDelivery []proofJSON }
	}
	env.MustGraphQL(t, keyB, `query($id: ID!) { shipment(id: $id) { proofOfDelivery { id } } }`, map[string]any{"id": b.ID}, &got)
	if len(got.Shipment.ProofOfDelivery) != 0 {
		t.Errorf("B's shipment with A's number lists %d proofs", len(got.Shipment.ProofOfDelivery))
	}
	for _, path := range []string{
		"/disputes/" + disputeID + "/evidence.pdf",
		"/disputes/" + disputeID + "/evidence.json",
		"/proofs/" + proofID + "/photo",
		"/proofs/" + proofID + "/signature",
		"/proofs/not-a-uuid/photo",
	} {
		if code, _, body := evGet(t, env, keyB, path); code != http.StatusNotFound {
			t.Errorf("B GET %s = %d %s, want 404", path, code, body)
		}
		if code, _, _ := evGet(t, env, keyA, path); code != http.StatusOK && path != "/proofs/not-a-uuid/photo" {
			t.Errorf("A GET %s = %d, want 200", path, code)
		}
	}
	// Nothing B tried changed A's dispute; B's attempt to pack did not count.
	var d struct{ Dispute disputeJSON }
	env.MustGraphQL(t, keyA, `query($id: ID!) { dispute(id: $id) { `+disputeFields+` } }`, map[string]any{"id": disputeID}, &d)
	if d.Dispute.Status != "OPEN" || d.Dispute.PacksGenerated != 2 {
		t.Errorf("A's dispute after B's attempts = %+v, want open with A's 2 packs", d.Dispute)
	}
}

// TestProofOfDeliveryInLists: in a page of shipments, each lists the proofs
// of its own parcel (batched by the dataloader): orders sharing a number
// share its proofs, a shipment without a number has its own.
func TestProofOfDeliveryInLists(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "A")
	a1 := create(t, env, key, map[string]any{"orderId": "A-1", "trackingNumber": evNumber})
	create(t, env, key, map[string]any{"orderId": "A-2", "trackingNumber": evNumber})
	bare := create(t, env, key, map[string]any{"orderId": "A-3"})
	create(t, env, key, map[string]any{"orderId": "A-4", "trackingNumber": "9400111899223197428490"})
	evJourney(t, env, sellerID, evNumber) // one proof from the signed delivery
	for _, id := range []string{a1.ID, bare.ID} {
		r := evUpload(t, env, key, recordProof, map[string]any{
			"in": map[string]any{"shipmentId": id, "deliveredAt": "2026-11-19T10:21:00Z", "signedBy": "Ann"}, "photo": nil, "signature": nil,
		}, map[string][]byte{"photo": evPhoto(t)})
		if len(r.Errors) > 0 {
			t.Fatalf("recordProofOfDelivery: %+v", r.Errors)
		}
	}
	var list struct {
		Shipments struct {
			Edges []struct {
				Node struct {
					OrderID         string      `json:"orderId"`
					ProofOfDelivery []proofJSON `json:"proofOfDelivery"`
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ shipments(first: 10) { edges { node { orderId proofOfDelivery { id source seq } } } } }`, nil, &list)
	got := map[string]int{}
	for _, e := range list.Shipments.Edges {
		got[e.Node.OrderID] = len(e.Node.ProofOfDelivery)
	}
	if want := map[string]int{"A-1": 2, "A-2": 2, "A-3": 1, "A-4": 0}; !cmp.Equal(got, want) {
		t.Errorf("proofs per shipment = %v, want %v", got, want)
	}
}
