package app_test

import (
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

type trackingCheckJSON struct {
	Input, Normalized string
	Valid             bool
	Carrier, Format   *string
	Reason, Message   *string
	TrackingURL       *string `json:"trackingUrl"`
	Candidates        []struct {
		Carrier, Format string
		Valid           bool
		Confidence      float64
	}
	Suggestions []string
	Fields      struct{ ServiceType, RoutingZip string }
}

const checkFields = `input normalized valid carrier format reason message trackingUrl
	candidates { carrier format valid confidence } suggestions fields { serviceType routingZip }`

func TestCheckTrackingNumber(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")

	var ok struct{ CheckTrackingNumber trackingCheckJSON }
	env.MustGraphQL(t, key, `{ checkTrackingNumber(trackingNumber: "1z 999 aa1 0123456784") { `+checkFields+` } }`, nil, &ok)
	c := ok.CheckTrackingNumber
	if !c.Valid || *c.Carrier != "ups" || c.Reason != nil || c.TrackingURL == nil || c.Fields.ServiceType == "" || len(c.Candidates) == 0 {
		t.Errorf("valid UPS number: %+v", c)
	}

	var typo struct{ CheckTrackingNumber trackingCheckJSON }
	env.MustGraphQL(t, key, `{ checkTrackingNumber(trackingNumber: "1Z999AA10123456785") { `+checkFields+` } }`, nil, &typo)
	c = typo.CheckTrackingNumber
	if c.Valid || c.Reason == nil || *c.Reason != "CHECK_DIGIT_MISMATCH" || len(c.Suggestions) == 0 || c.Suggestions[0] != "1Z999AA10123456784" {
		t.Errorf("typo: %+v, want CHECK_DIGIT_MISMATCH suggesting 1Z999AA10123456784 first", c)
	}

	var mismatch struct{ CheckTrackingNumber trackingCheckJSON }
	env.MustGraphQL(t, key, `{ checkTrackingNumber(trackingNumber: "1Z999AA10123456784", carrier: "FedEx") { valid reason message carrier } }`, nil, &mismatch)
	if m := mismatch.CheckTrackingNumber; m.Valid || m.Reason == nil || *m.Reason != "CARRIER_MISMATCH" {
		t.Errorf("declared FedEx on a UPS number: %+v, want CARRIER_MISMATCH", m)
	}

	r := env.GraphQL(t, key, `{ checkTrackingNumber(trackingNumber: "1Z999AA10123456784", carrier: "pigeon") { valid } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "carrier" {
		t.Errorf("unknown carrier: %+v, want BAD_USER_INPUT on carrier", r.Errors)
	}

	// Every shipment written stores its check; the API exposes it.
	sh := create(t, env, key, map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456785", "carrier": "ups"})
	var got struct {
		Shipment struct{ TrackingCheck trackingCheckJSON }
	}
	env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { trackingCheck { `+checkFields+` } } }`, map[string]any{"id": sh.ID}, &got)
	if tc := got.Shipment.TrackingCheck; tc.Valid || *tc.Reason != "CHECK_DIGIT_MISMATCH" {
		t.Errorf("shipment trackingCheck = %+v", tc)
	}
	row, err := env.App.Store.Shipment(t.Context(), mustSeller(t, env, key), sh.ID)
	if err != nil || row.TrackingValid || row.TrackingReason != "CHECK_DIGIT_MISMATCH" {
		t.Errorf("stored verdict = %v %q (%v), want invalid CHECK_DIGIT_MISMATCH", row.TrackingValid, row.TrackingReason, err)
	}
}

func mustSeller(t *testing.T, env *apptest.Env, key string) string {
	t.Helper()
	var v struct{ Viewer struct{ ID string } }
	env.MustGraphQL(t, key, `{ viewer { id } }`, nil, &v)
	return v.Viewer.ID
}
