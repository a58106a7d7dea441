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
)

// A seller's ops lead rotates a carrier account's credentials through
// GraphQL: the account keeps its id, the answer shows the new client id's
// hint and never the credentials, the carrier accepts the new ones, and
// bad input names its field.
func TestUpdateCarrierAccountEndToEnd(t *testing.T) {
	ups := fake.New(carrier.UPS, time.Now)
	ups.AddClient("ups-client-1111", "old-secret")
	srv := httptest.NewServer(ups)
	defer srv.Close()
	env := apptest.Start(t, func(c *config.Config) {
		c.CarrierAllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	_, key := env.Seller(t, "Rotator")
	var added struct{ AddCarrierAccount struct{ ID string } }
	env.MustGraphQL(t, key, `mutation($u: String!) { addCarrierAccount(input: {carrier: UPS, environment: CUSTOM,
		baseUrl: $u, clientId: "ups-client-1111", clientSecret: "old-secret"}) { id } }`, map[string]any{"u": srv.URL}, &added)
	id := added.AddCarrierAccount.ID

	resp := env.GraphQL(t, key, `mutation($id: ID!) { updateCarrierAccount(input: {id: $id, clientId: "ups-client-2222"}) { id } }`,
		map[string]any{"id": id})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "clientSecret") {
		t.Fatalf("updateCarrierAccount(clientId alone) = %+v, want BAD_USER_INPUT on clientSecret", resp.Errors)
	}

	ups.AddClient("ups-client-2222", "new-secret")
	resp = env.GraphQL(t, key, `mutation($id: ID!) { updateCarrierAccount(input: {id: $id, clientId: "ups-client-2222",
		clientSecret: "new-secret", hourlyBudget: 50}) { id clientIdHint hourlyBudget environment baseUrl health { state retryAt } } }`,
		map[string]any{"id": id})
	if len(resp.Errors) > 0 {
		t.Fatalf("updateCarrierAccount() = %+v", resp.Errors)
	}
	raw, _ := json.Marshal(resp.Data)
	if strings.Contains(string(raw), "new-secret") || strings.Contains(string(raw), "ups-client-2222") || strings.Contains(string(raw), "old-secret") {
		t.Fatalf("updateCarrierAccount() returned credentials: %s", raw)
	}
	var updated struct {
		UpdateCarrierAccount struct {
			ID, ClientIDHint, Environment string
			HourlyBudget                  int
		}
	}
	resp.Decode(t, &updated)
	if u := updated.UpdateCarrierAccount; u.ID != id || u.ClientIDHint != "2222" || u.HourlyBudget != 50 || u.Environment != "CUSTOM" {
		t.Fatalf("updated account = %+v, want the same id, hint 2222, hourly budget 50, still CUSTOM", u)
	}
	var tested struct{ TestCarrierAccount struct{ OK bool } }
	env.MustGraphQL(t, key, `mutation($id: ID!) { testCarrierAccount(id: $id) { ok message } }`, map[string]any{"id": id}, &tested)
	if !tested.TestCarrierAccount.OK {
		t.Error("testCarrierAccount() after the rotation = not ok, want the new credentials accepted")
	}

	// Another seller cannot touch it.
	_, other := env.Seller(t, "Other")
	resp = env.GraphQL(t, other, `mutation($id: ID!) { updateCarrierAccount(input: {id: $id, resume: true}) { id } }`,
		map[string]any{"id": id})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("updateCarrierAccount(another seller's) = %+v, want NOT_FOUND", resp.Errors)
	}
}
