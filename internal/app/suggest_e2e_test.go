package app_test

import (
	"fmt"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// upsAccount returns n valid UPS numbers of account 12345E, service 02:
// serials from 20527160 up by 7, each with its check digit.
func upsAccount(n int) []string {
	var out []string
	for s := 20527160; len(out) < n; s += 7 {
		for k := 0; k < 10; k++ {
			num := fmt.Sprintf("1Z12345E0%d%d", s, k)
			if tracking.Check(num, "").Valid {
				out = append(out, num)
				break
			}
		}
	}
	return out
}

// TestSuggestionsUseTheSellersNumbers: once a seller has shipped from an
// account, a mistyped account digit is fixed first, through both
// checkTrackingNumber and a shipment's trackingCheck; another seller
// without those numbers gets the error model's order.
func TestSuggestionsUseTheSellersNumbers(t *testing.T) {
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, other := env.Seller(t, "Other")
	var in []map[string]any
	for i, n := range upsAccount(20) {
		in = append(in, map[string]any{"orderId": fmt.Sprint("o", i), "trackingNumber": n})
	}
	const entered, meant = "1Z12845E0205271686", "1Z12345E0205271686"
	in = append(in, map[string]any{"orderId": "typo", "trackingNumber": entered})
	var created struct{ CreateShipments struct{ Created int } }
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`, map[string]any{"in": in}, &created)
	if created.CreateShipments.Created != 21 {
		t.Fatalf("created %d, want 21", created.CreateShipments.Created)
	}
	var check struct {
		CheckTrackingNumber struct{ Suggestions []string }
	}
	env.MustGraphQL(t, key, `query($n: String!) { checkTrackingNumber(trackingNumber: $n) { suggestions } }`, map[string]any{"n": entered}, &check)
	if s := check.CheckTrackingNumber.Suggestions; len(s) == 0 || s[0] != meant {
		t.Errorf("checkTrackingNumber(%s).suggestions = %q, want %s first", entered, s, meant)
	}
	var list struct {
		Shipments struct {
			Edges []struct {
				Node struct {
					OrderID       string
					TrackingCheck *struct{ Suggestions []string }
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ shipments(first: 50) { edges { node { orderId trackingCheck { suggestions } } } } }`, nil, &list)
	for _, e := range list.Shipments.Edges {
		s := e.Node.TrackingCheck.Suggestions
		if e.Node.OrderID == "typo" && (len(s) == 0 || s[0] != meant) {
			t.Errorf("shipment typo: suggestions = %q, want %s first", s, meant)
		}
		if e.Node.OrderID != "typo" && len(s) != 0 {
			t.Errorf("shipment %s (valid): suggestions = %q, want none", e.Node.OrderID, s)
		}
	}
	env.MustGraphQL(t, other, `query($n: String!) { checkTrackingNumber(trackingNumber: $n) { suggestions } }`, map[string]any{"n": entered}, &check)
	if want := tracking.Check(entered, "").Suggestions(); fmt.Sprint(check.CheckTrackingNumber.Suggestions) != fmt.Sprint(want) {
		t.Errorf("another seller's suggestions = %q, want the error model's %q", check.CheckTrackingNumber.Suggestions, want)
	}
}
