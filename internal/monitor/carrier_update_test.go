package monitor_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// The carrier revokes the account's secret: polling fails until the
// account is degraded and backing off. The seller rotates the secret in
// place; the account keeps its id, events and health history, the back-off
// is lifted, and another replica, whose cached client still held the old
// secret, polls with the new one at once.
func TestUpdateCarrierAccountRotatesSecret(t *testing.T) {
	e := newPollEnv(t)
	id := e.account(carrier.UPS, nil)
	replica := e.carriers()
	pollReplica := func() monitor.PollStats {
		t.Helper()
		st, err := replica.PollAccount(e.ctx, e.seller, id)
		if err != nil {
			t.Fatalf("PollAccount() = %v", err)
		}
		return st
	}
	sh := e.ship(carrier.UPS, time.Hour)
	label := e.now().Add(-30 * time.Minute)
	e.fakes[carrier.UPS].AddParcel(scans(sh, fake.Scan{At: label, Status: shipment.StatusLabelCreated,
		City: "Atlanta", State: "GA", ZIP: "30301", Country: "US"}))
	if st := pollReplica(); st.Events != 1 || st.Failed != 0 {
		t.Fatalf("first poll = %+v, want one event", st)
	}
	e.fakes[carrier.UPS].AddClient("client-UPS", "secret-rotated")
	e.fakes[carrier.UPS].ExpireTokens()
	for range source.FailureThreshold {
		e.advance(31 * time.Minute)
		pollReplica()
	}
	h := e.health(id)
	if h.State() != source.Degraded || h.RetryAt == nil || !h.RetryAt.After(e.now()) {
		t.Fatalf("health with a revoked secret = %+v, want DEGRADED and backing off", h)
	}
	secret := "secret-rotated"
	acct, err := e.car.UpdateCarrierAccount(e.ctx, e.seller, id, monitor.CarrierAccountUpdate{ClientSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	if acct.ID != id || acct.Revision != 2 || acct.ClientIDHint != "-UPS" || bytes.Contains(acct.CredentialsSealed, []byte(secret)) {
		t.Fatalf("updated account = id %s revision %d hint %q, want the same id, revision 2, hint -UPS, the secret sealed",
			acct.ID, acct.Revision, acct.ClientIDHint)
	}
	if h := e.health(id); h.RetryAt != nil || h.LastFailureAt == nil {
		t.Fatalf("health after the update = %+v, want the back-off lifted and the failures kept", h)
	}
	e.fakes[carrier.UPS].AddParcel(scans(sh, fake.Scan{At: label, Status: shipment.StatusLabelCreated,
		City: "Atlanta", State: "GA", ZIP: "30301", Country: "US"}, fake.Scan{At: e.now().Add(-10 * time.Minute),
		Status: shipment.StatusInTransit, City: "Atlanta", State: "GA", ZIP: "30301", Country: "US"}))
	if st := pollReplica(); st.Failed != 0 || st.Events != 1 {
		t.Fatalf("poll after the rotation = %+v, want the new scan and no failure", st)
	}
	if h := e.health(id); h.State() != source.OK {
		t.Errorf("health after a good poll = %s, want OK", h.State())
	}
	if got := e.shipment(sh.ID); got.FirstScanAt == nil {
		t.Errorf("shipment after the rotation = %+v, want its scan", got)
	}
}

func TestUpdateCarrierAccountChangesAndRefusals(t *testing.T) {
	e := newPollEnv(t)
	id := e.account(carrier.FedEx, nil)
	ptr := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	prod := carrier.Production
	custom := carrier.Custom
	for _, tc := range []struct {
		name  string
		in    monitor.CarrierAccountUpdate
		field string
	}{
		{"nothing", monitor.CarrierAccountUpdate{}, "input"},
		{"a client id without its secret", monitor.CarrierAccountUpdate{ClientID: ptr("other")}, "clientSecret"},
		{"an empty secret", monitor.CarrierAccountUpdate{ClientSecret: ptr(" ")}, "clientSecret"},
		{"defaults with a budget", monitor.CarrierAccountUpdate{DefaultBudgets: true, HourlyBudget: n(5)}, "defaultBudgets"},
		{"a zero budget", monitor.CarrierAccountUpdate{DailyBudget: n(0)}, "dailyBudget"},
		{"a URL for production", monitor.CarrierAccountUpdate{Environment: &prod, BaseURL: ptr("https://example.com")}, "baseUrl"},
		{"a private URL", monitor.CarrierAccountUpdate{Environment: &custom, BaseURL: ptr("http://10.0.0.1")}, "baseUrl"},
	} {
		_, err := e.car.UpdateCarrierAccount(e.ctx, e.seller, id, tc.in)
		var fe *shipment.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: UpdateCarrierAccount() = %v, want a field error on %s", tc.name, err, tc.field)
		}
	}
	acct, err := e.car.UpdateCarrierAccount(e.ctx, e.seller, id, monitor.CarrierAccountUpdate{HourlyBudget: n(5)})
	if err != nil || acct.HourlyBudget == nil || *acct.HourlyBudget != 5 || acct.DailyBudget != nil || acct.BaseURL != e.urls[carrier.FedEx] {
		t.Fatalf("budget update = %+v, %v; want hourly 5, daily default, the URL kept", acct, err)
	}
	acct, err = e.car.UpdateCarrierAccount(e.ctx, e.seller, id, monitor.CarrierAccountUpdate{DefaultBudgets: true, Environment: &prod})
	if err != nil || acct.HourlyBudget != nil || acct.Environment != string(carrier.Production) || acct.BaseURL != "" || acct.Revision != 3 {
		t.Fatalf("defaults and production = %+v, %v; want no budgets, PRODUCTION without URL, revision 3", acct, err)
	}
	other, err := e.st.InsertSeller(e.ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.car.UpdateCarrierAccount(e.ctx, other.ID, id, monitor.CarrierAccountUpdate{Resume: true}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another seller's update = %v, want ErrNotFound", err)
	}
}
