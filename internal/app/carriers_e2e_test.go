package app_test

import (
	"encoding/json"

	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// A seller adds a UPS account pointed at the fake UPS, tests it, and the
// server's own jobs poll its shipment: the scan shows on the shipment's
// timeline with UPS as its source, and the account's health is OK.
func TestCarrierAccountPolledEndToEnd(t *testing.T) {
	ups := fake.New(carrier.UPS, time.Now)
	ups.AddClient("ups-client-1234", "ups-secret")
	srv := httptest.NewServer(ups)
	defer srv.Close()
	env := apptest.Start(t, func(c *config.Config) {
		c.CarrierAllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.CarrierPollInterval = time.Second
	})
	_, key := env.Seller(t, "Poller")

	b := "999AA1010000042"
	number := "1Z" + b + string(ingesttest.UPSCheckDigit(b))
	shipped := time.Now().Add(-3 * time.Hour).UTC()
	ups.AddParcel(fake.Parcel{Number: number, Scans: []fake.Scan{{At: shipped.Add(time.Hour), Status: shipment.StatusInTransit,
		City: "Phoenix", State: "AZ", ZIP: "85001", Country: "US"}}})
	var created struct {
		CreateShipments struct{ Shipments []struct{ ID string } }
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id } } }`,
		map[string]any{"in": []any{map[string]any{"orderId": "E-1", "carrier": "UPS", "trackingNumber": number,
			"shippedAt": shipped.Format(time.RFC3339)}}}, &created)

	// Bad input names its field; a private address is refused without the
	// operator's opt-in (here only 127.0.0.0/8 is allowed).
	resp := env.GraphQL(t, key, `mutation { addCarrierAccount(input: {carrier: UPS, environment: CUSTOM,
		baseUrl: "http://10.0.0.1", clientId: "a", clientSecret: "b"}) { id } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "baseUrl") {
		t.Fatalf("addCarrierAccount(private URL) = %+v, want BAD_USER_INPUT on baseUrl", resp.Errors)
	}

	addResp := env.GraphQL(t, key, `mutation($u: String!) { addCarrierAccount(input: {carrier: UPS, environment: CUSTOM,
		baseUrl: $u, clientId: "ups-client-1234", clientSecret: "ups-secret", hourlyBudget: 100}) {
		id carrier environment baseUrl clientIdHint hourlyBudget dailyBudget health { state } } }`,
		map[string]any{"u": srv.URL})
	if len(addResp.Errors) > 0 {
		t.Fatalf("addCarrierAccount() = %+v", addResp.Errors)
	}
	raw, _ := json.Marshal(addResp.Data)
	if strings.Contains(string(raw), "ups-secret") || strings.Contains(string(raw), "ups-client-1234") {
		t.Fatalf("addCarrierAccount() returned the credentials: %s", raw)
	}
	var added struct {
		AddCarrierAccount struct {
			ID, Carrier, Environment, ClientIDHint string
			HourlyBudget, DailyBudget              int
			Health                                 struct{ State string }
		}
	}
	addResp.Decode(t, &added)
	acct := added.AddCarrierAccount
	if acct.Carrier != "UPS" || acct.ClientIDHint != "1234" || acct.HourlyBudget != 100 || acct.DailyBudget <= 0 {
		t.Fatalf("account = %+v", acct)
	}

	var tested struct{ TestCarrierAccount struct{ OK bool } }
	env.MustGraphQL(t, key, `mutation($id: ID!) { testCarrierAccount(id: $id) { ok message } }`, map[string]any{"id": acct.ID}, &tested)
	if !tested.TestCarrierAccount.OK {
		t.Fatal("testCarrierAccount() = not ok with the right credentials")
	}

	type event struct {
		Source, OccurredAt string
		OccurredLocal      *string
	}
	var events []event
	apptest.Eventually(t, 30*time.Second, "the poller brings the UPS scan", func() bool {
		var out struct {
			Shipment struct {
				Events struct{ Edges []struct{ Node event } }
			}
		}
		env.MustGraphQL(t, key, `query($id: ID!) { shipment(id: $id) { events { edges { node { source occurredAt occurredLocal } } } } }`,
			map[string]any{"id": created.CreateShipments.Shipments[0].ID}, &out)
		events = nil
		for _, e := range out.Shipment.Events.Edges {
			events = append(events, e.Node)
		}
		return len(events) == 1
	})
	if events[0].Source != "UPS" || events[0].OccurredLocal == nil {
		t.Errorf("event = %+v, want source UPS with the carrier's local text", events[0])
	}
	if at, err := time.Parse(time.RFC3339Nano, events[0].OccurredAt); err != nil || !at.Equal(shipped.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("occurredAt = %s, want %s (Phoenix local time resolved to UTC)", events[0].OccurredAt, shipped.Add(time.Hour))
	}

	var listed struct {
		CarrierAccounts struct {
			Edges []struct {
				Node struct {
					ID     string
					Health struct {
						State         string
						LastSuccessAt *string
						ErrorRate     float64
					}
				}
			}
		}
		TrackingSources struct {
			Edges []struct {
				Node struct{ Health struct{ State string } }
			}
		}
	}
	// The poll's health is recorded just after its events commit.
	apptest.Eventually(t, 30*time.Second, "the account's health records the poll", func() bool {
		env.MustGraphQL(t, key, `{ carrierAccounts { edges { node { id health { state lastSuccessAt errorRate lagSeconds } } } }
			trackingSources { edges { node { health { state } } } } }`, nil, &listed)
		return len(listed.CarrierAccounts.Edges) == 1 && listed.CarrierAccounts.Edges[0].Node.Health.LastSuccessAt != nil
	})
	if n := len(listed.CarrierAccounts.Edges); n != 1 {
		t.Fatalf("carrierAccounts = %d, want 1", n)
	}
	if h := listed.CarrierAccounts.Edges[0].Node.Health; h.State != "OK" || h.LastSuccessAt == nil || h.ErrorRate != 0 {
		t.Errorf("health = %+v, want OK with a success", h)
	}

	// Another seller can neither see nor remove it.
	_, otherKey := env.Seller(t, "Other")
	resp = env.GraphQL(t, otherKey, `mutation($id: ID!) { removeCarrierAccount(id: $id) { id } }`, map[string]any{"id": acct.ID})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("removeCarrierAccount by another seller = %+v, want NOT_FOUND", resp.Errors)
	}
	env.MustGraphQL(t, key, `mutation($id: ID!) { removeCarrierAccount(id: $id) { id } }`, map[string]any{"id": acct.ID}, nil)
	env.MustGraphQL(t, key, `{ carrierAccounts { edges { node { id } } } }`, nil, &listed)
	if n := len(listed.CarrierAccounts.Edges); n != 0 {
		t.Errorf("carrierAccounts after removal = %d, want 0", n)
	}
}
