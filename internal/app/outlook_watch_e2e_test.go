package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// validUPS returns the n-th of a run of valid UPS numbers.
func validUPS(t *testing.T, n int) string {
	t.Helper()
	for d := 0; d <= 9; d++ {
		number := fmt.Sprintf("1Z999AA102%07d%d", n, d)
		if tracking.Check(number, "ups").Valid {
			return number
		}
	}
	t.Fatalf("no valid UPS number for %d", n)
	return ""
}

// TestOutlookWatchEndToEnd runs the server with the outlook job every
// second and waits for the PROJECTED_MISS account flag on flagRaised. In
// UTC, Amazon's VTR over 7 days today holds 19 scanned parcels promised
// yesterday and one never scanned: 19/20 = 95%, AT_RISK (at least 95%).
// At evaluation (the end of today + 3) the window also holds two parcels
// promised tomorrow whose numbers fail the check (chance 0); the unscanned
// one, its number just received, keeps the seller's rate 0.95: projected
// 19.95/22 = 90.7%, rounded 20/22 = 90.9%: FAILING, a crossing.
func TestOutlookWatchEndToEnd(t *testing.T) {
	env := apptest.Start(t, func(c *config.Config) { c.OutlookInterval = time.Second })
	sellerID, key := env.Seller(t, "Acme")
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "UTC"}) { timeZone } }`, nil, nil)
	sub := env.Subscribe(t, key, `subscription { flagRaised { id kind subject message shipment { orderId } } }`)
	apptest.Eventually(t, 10*time.Second, "the subscription to be listening", func() bool { return env.App.PubSub.Subscribers() == 1 })

	vtrAtRisk(t, env, sellerID)
	tipVTR(t, env, sellerID)

	var got []string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var ev struct {
			FlagRaised struct {
				ID, Kind, Message string
				Subject           *string
				Shipment          *struct{ OrderID string }
			}
		}
		sub.Next(t, time.Until(deadline), &ev)
		f := ev.FlagRaised
		if f.Kind != "PROJECTED_MISS" {
			continue // the parcels' own flags (INVALID_TRACKING, LATE_DELIVERY)
		}
		if f.Shipment != nil || f.Subject == nil {
			t.Fatalf("PROJECTED_MISS = %+v, want no shipment and a subject", f)
		}
		got = append(got, *f.Subject)
		if *f.Subject == "AMAZON/VALID_TRACKING_RATE/7" {
			if !strings.HasPrefix(f.Message, "VALID_TRACKING_RATE on AMAZON over 7 days is projected at 90.7%") ||
				!strings.Contains(f.Message, "it is 95.0% today") {
				t.Errorf("message = %q", f.Message)
			}
			break
		}
	}
	if len(got) == 0 || got[len(got)-1] != "AMAZON/VALID_TRACKING_RATE/7" {
		t.Fatalf("PROJECTED_MISS flags raised on %v, want AMAZON/VALID_TRACKING_RATE/7", got)
	}
	// The flags query lists it as an account flag.
	var fl struct {
		Flags struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Subject  string
					Shipment *struct{ OrderID string }
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ flags(filter: {kinds: [PROJECTED_MISS], open: true}) { totalCount edges { node { subject shipment { orderId } } } } }`, nil, &fl)
	if fl.Flags.TotalCount < 1 {
		t.Errorf("open PROJECTED_MISS flags = %+v, want the 7-day one", fl.Flags)
	}
	for _, e := range fl.Flags.Edges {
		if e.Node.Shipment != nil || !strings.HasPrefix(e.Node.Subject, "AMAZON/VALID_TRACKING_RATE/") {
			t.Errorf("flag %+v: want an Amazon VTR account flag", e.Node)
		}
	}
}

// TestSaveQueueEvidenceEndToEnd lists an open not-received claim in
// Walmart's item-not-received queue through GraphQL, with its dispute and
// respondBy, and takes it off once its evidence pack is downloaded. One
// parcel, scanned and delivered, with the claim: 1 of 1 shipped orders,
// so the item's effect is 1/1.
func TestSaveQueueEvidenceEndToEnd(t *testing.T) {
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Acme")
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "UTC"}) { timeZone } }`, nil, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	shipped := now.Add(-5 * 24 * time.Hour)
	n := validUPS(t, 1)
	res, err := env.App.Monitor.CreateShipments(ctx, sellerID, []shipment.Input{{OrderID: "C1", TrackingNumber: n, ShippedAt: &shipped}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if _, err := env.App.Monitor.RecordEvents(ctx, sellerID, []shipment.Event{
		{TrackingNumber: n, OccurredAt: shipped.Add(time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice},
		{TrackingNumber: n, OccurredAt: shipped.Add(72 * time.Hour), Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice},
	}); err != nil {
		t.Fatal(err)
	}
	respondBy := now.Add(48 * time.Hour).Truncate(time.Second)
	var d struct{ OpenDispute struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($s: ID!, $by: Time!) { openDispute(input: {shipmentId: $s, kind: NOT_RECEIVED, respondBy: $by}) { id } }`,
		map[string]any{"s": res[0].Shipment.ID, "by": respondBy}, &d)

	const q = `{ saveQueue(marketplace: WALMART, metric: ITEM_NOT_RECEIVED_RATE) { totalCount edges { node {
		action deadline probability effect shipment { orderId } dispute { id } } } } }`
	var sq struct {
		SaveQueue struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Action              string
					Deadline            *time.Time
					Probability, Effect float64
					Shipment            struct{ OrderID string }
					Dispute             *struct{ ID string }
				}
			}
		}
	}
	env.MustGraphQL(t, key, q, nil, &sq)
	if sq.SaveQueue.TotalCount != 1 || len(sq.SaveQueue.Edges) != 1 {
		t.Fatalf("saveQueue = %+v, want the claim", sq.SaveQueue)
	}
	it := sq.SaveQueue.Edges[0].Node
	if it.Action != "ASSEMBLE_EVIDENCE" || it.Shipment.OrderID != "C1" || it.Dispute == nil || it.Dispute.ID != d.OpenDispute.ID ||
		it.Deadline == nil || !it.Deadline.Equal(respondBy) || it.Probability != 0 || it.Effect != 1 {
		t.Errorf("item = %+v, want ASSEMBLE_EVIDENCE on C1 for dispute %s by %v, probability 0, effect 1", it, d.OpenDispute.ID, respondBy)
	}
	if code, _, _ := evGet(t, env, key, "/disputes/"+d.OpenDispute.ID+"/evidence.pdf"); code != 200 {
		t.Fatalf("evidence.pdf: %d", code)
	}
	env.MustGraphQL(t, key, q, nil, &sq)
	if sq.SaveQueue.TotalCount != 0 {
		t.Errorf("saveQueue after the pack = %+v, want empty", sq.SaveQueue)
	}
}

// vtrAtRisk writes the history TestOutlookWatchEndToEnd describes, but
// the two parcels tipVTR adds: 20 parcels promised yesterday (UTC), 19
// of them scanned three days ago, so Amazon's 7-day VTR is 19/20 = 95%.
func vtrAtRisk(t *testing.T, env *apptest.Env, sellerID string) {
	t.Helper()
	yesterday := time.Now().UTC().Truncate(24 * time.Hour).Add(-12 * time.Hour)
	var in []shipment.Input
	var evs []shipment.Event
	for i := range 20 {
		n := validUPS(t, i)
		in = append(in, shipment.Input{OrderID: fmt.Sprintf("H%d", i), TrackingNumber: n, DeliverBy: &yesterday})
		if i < 19 {
			evs = append(evs, shipment.Event{TrackingNumber: n, OccurredAt: yesterday.Add(-60 * time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice})
		}
	}
	createShipments(t, env, sellerID, in)
	if _, err := env.App.Monitor.RecordEvents(context.Background(), sellerID, evs); err != nil {
		t.Fatal(err)
	}
}

// tipVTR adds two parcels promised tomorrow whose numbers fail the check:
// after vtrAtRisk, the 7-day VTR projects to 90.7%, a crossing.
func tipVTR(t *testing.T, env *apptest.Env, sellerID string) {
	t.Helper()
	tomorrow := time.Now().UTC().Truncate(24 * time.Hour).Add(36 * time.Hour)
	createShipments(t, env, sellerID, []shipment.Input{
		{OrderID: "I1", TrackingNumber: "1Z999AA10123456780", DeliverBy: &tomorrow},
		{OrderID: "I2", TrackingNumber: "1Z999AA10123456781", DeliverBy: &tomorrow}})
}

// createShipments writes in through the monitor, failing t on any error.
func createShipments(t *testing.T, env *apptest.Env, sellerID string, in []shipment.Input) {
	t.Helper()
	res, err := env.App.Monitor.CreateShipments(context.Background(), sellerID, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}
