package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/source"
)

// e2eUSPSNumber is a valid 22-digit USPS number (IMpb, GS1 mod 10).
func e2eUSPSNumber(i int) string {
	body := fmt.Sprintf("9400111%014d", i)
	sum := 0
	for j, w := len(body)-1, 3; j >= 0; j-- {
		sum += int(body[j]-'0') * w
		w = 4 - w
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

type degradedCarrierJSON struct {
	Carrier        string `json:"carrier"`
	DegradedSince  string `json:"degradedSince"`
	DegradedReason string `json:"degradedReason"`
}

type sourceHealthJSON struct {
	State            string                `json:"state"`
	DegradedCarriers []degradedCarrierJSON `json:"degradedCarriers"`
}

// TestCarrierOutageEndToEnd plays an aggregator losing its USPS feed
// through the real server: an EasyPost source created through GraphQL
// delivered UPS and USPS events every hour of the week, then UPS alone for
// the last three hours. The periodic sweep holds USPS: the source's health
// stays OK and names USPS among its degraded carriers; a USPS shipment
// past its inactive-tracking boundary gets SOURCE_DEGRADED naming the
// source and USPS, never INACTIVE_TRACKING, while a UPS one gets
// INACTIVE_TRACKING. USPS events coming back recover the carrier, resolve
// SOURCE_DEGRADED and raise INACTIVE_TRACKING.
func TestCarrierOutageEndToEnd(t *testing.T) {
	t.Parallel()
	// The judged hours are the last three whole hours of the real clock:
	// start with the same hour ahead for the whole test.
	if left := time.Until(time.Now().Truncate(time.Hour).Add(time.Hour)); left < 2*time.Minute {
		time.Sleep(left + time.Second)
	}
	env := apptest.Start(t, func(c *config.Config) { c.SweepInterval = time.Second })
	sellerID, key := env.Seller(t, "Aggregated")
	src := createSource(t, env, key, "EASYPOST", "easypost-secret")
	ctx := context.Background()
	record := func(at time.Time, ups, usps int) {
		t.Helper()
		o := source.Outcome{SellerID: sellerID, SourceID: src.ID, Kind: source.Webhook, At: at, OK: ups + usps}
		for _, c := range []source.CarrierCount{{Carrier: "UPS", Deliveries: ups}, {Carrier: "USPS", Deliveries: usps}} {
			if c.Deliveries > 0 {
				o.Carriers = append(o.Carriers, c)
			}
		}
		if err := env.App.Store.RecordSourceOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	for at := hour.Add(-8 * 24 * time.Hour); at.Before(hour.Add(-3 * time.Hour)); at = at.Add(time.Hour) {
		record(at.Add(10*time.Minute), 20, 20)
	}
	for h := 3; h >= 1; h-- {
		record(hour.Add(-time.Duration(h)*time.Hour+10*time.Minute), 20, 0)
	}

	// Ten USPS parcels in flight, shipped a day ago (not yet due a scan):
	// the carrier check needs them to judge.
	now := time.Now().UTC()
	var in []map[string]any
	for i := range 10 {
		in = append(in, map[string]any{"orderId": fmt.Sprintf("P-%d", i), "carrier": "usps",
			"trackingNumber": e2eUSPSNumber(i), "shippedAt": now.Add(-24 * time.Hour).Format(time.RFC3339)})
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id } } }`,
		map[string]any{"in": in}, nil)

	health := func() sourceHealthJSON {
		var out struct {
			TrackingSources struct {
				Edges []struct {
					Node struct{ Health sourceHealthJSON }
				}
			}
		}
		env.MustGraphQL(t, key, `{ trackingSources(first: 10) { edges { node { health {
			state degradedCarriers { carrier degradedSince degradedReason } } } } } }`, nil, &out)
		if len(out.TrackingSources.Edges) != 1 {
			t.Fatalf("trackingSources = %+v, want one", out.TrackingSources.Edges)
		}
		return out.TrackingSources.Edges[0].Node.Health
	}
	var h sourceHealthJSON
	apptest.Eventually(t, 20*time.Second, "USPS held by the sweep", func() bool {
		h = health()
		return len(h.DegradedCarriers) == 1
	})
	want := "no USPS webhooks in the last 3 h (other carriers' still arrive) while it delivered ~60 at these hours over the past 7 days"
	if h.State != "OK" || h.DegradedCarriers[0].Carrier != "usps" || h.DegradedCarriers[0].DegradedReason != want ||
		h.DegradedCarriers[0].DegradedSince != hour.Add(-3*time.Hour).Format(time.RFC3339) {
		t.Fatalf("health = %+v, want OK with usps degraded since %s for %q", h, hour.Add(-3*time.Hour).Format(time.RFC3339), want)
	}

	// A USPS and a UPS parcel shipped 49 hours ago, never scanned.
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id } } }`,
		map[string]any{"in": []map[string]any{
			{"orderId": "USPS-49", "carrier": "usps", "trackingNumber": e2eUSPSNumber(99), "shippedAt": now.Add(-49 * time.Hour).Format(time.RFC3339)},
			{"orderId": "UPS-49", "carrier": "ups", "trackingNumber": "1Z3EXVMP1234638788", "shippedAt": now.Add(-49 * time.Hour).Format(time.RFC3339)},
		}}, nil)
	open := func(order string) map[string]string {
		kinds := map[string]string{}
		for _, e := range flags(t, env, key, map[string]any{"open": true}).Edges {
			if e.Node.Shipment.OrderID == order {
				kinds[e.Node.Kind] = e.Node.Message
			}
		}
		return kinds
	}
	apptest.Eventually(t, 20*time.Second, "the new shipments checked", func() bool {
		return open("USPS-49")["SOURCE_DEGRADED"] != "" && open("UPS-49")["INACTIVE_TRACKING"] != ""
	})
	usps := open("USPS-49")
	if m := usps["SOURCE_DEGRADED"]; !strings.Contains(m, "EASYPOST webhooks for USPS") || !strings.Contains(m, want) {
		t.Errorf("SOURCE_DEGRADED = %q, want it to name EASYPOST webhooks for USPS and why", m)
	}
	if _, raised := usps["INACTIVE_TRACKING"]; raised {
		t.Errorf("USPS-49: INACTIVE_TRACKING raised during our USPS outage: %v", usps)
	}
	if _, held := open("UPS-49")["SOURCE_DEGRADED"]; held {
		t.Errorf("UPS-49: SOURCE_DEGRADED raised, but only USPS is failing")
	}

	// USPS comes back in the same hours: 20 an hour.
	for h := 3; h >= 1; h-- {
		record(hour.Add(-time.Duration(h)*time.Hour+20*time.Minute), 0, 20)
	}
	apptest.Eventually(t, 20*time.Second, "USPS recovered and INACTIVE_TRACKING raised", func() bool {
		k := open("USPS-49")
		return len(health().DegradedCarriers) == 0 && k["INACTIVE_TRACKING"] != "" && k["SOURCE_DEGRADED"] == ""
	})
	if got := flags(t, env, key, map[string]any{"kinds": []string{"INACTIVE_TRACKING"}}); got.TotalCount != 2 {
		t.Errorf("INACTIVE_TRACKING flags ever = %d, want 2 (UPS-49 and, after recovery, USPS-49)", got.TotalCount)
	}
}
