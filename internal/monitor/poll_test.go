package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// pollEnv is a seller with carrier accounts pointed at in-process fakes,
// all on one simulated clock: the fakes reveal scans and expire tokens on
// it, the clients wait on it, and the rules read it.
type pollEnv struct {
	t      testing.TB
	ctx    context.Context
	svc    *monitor.Service
	st     *store.Store
	key    *keyring.Key
	car    *monitor.Carriers
	fakes  map[carrier.Carrier]*fake.Carrier
	urls   map[carrier.Carrier]string
	seller string
	accts  map[carrier.Carrier]string

	mu    sync.Mutex
	clock time.Time
	n     int
}

func (e *pollEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *pollEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = e.clock.Add(d)
}

func (e *pollEnv) sleep(_ context.Context, d time.Duration) error {
	e.advance(d)
	return nil
}

// loopback lets accounts point at the fakes (httptest listens on 127.0.0.1).
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func newPollEnv(t testing.TB, opts ...monitor.CarriersOption) *pollEnv {
	t.Helper()
	// Shipments are created at the database's now(): the simulated clock
	// starts there, so that their age is what the test says.
	e := &pollEnv{t: t, ctx: context.Background(), clock: time.Now().UTC().Truncate(time.Minute),
		fakes: map[carrier.Carrier]*fake.Carrier{}, urls: map[carrier.Carrier]string{}, accts: map[carrier.Carrier]string{}}
	db := dbtest.DB(t)
	e.svc, e.st = monitortest.New(t, db, monitor.WithClock(e.now))
	var err error
	if e.key, _, err = keyring.Generate(); err != nil {
		t.Fatal(err)
	}
	e.car = e.carriers(opts...)
	for _, c := range carrier.Carriers {
		f := fake.New(c, e.now)
		f.AddClient("client-"+string(c), "secret-"+string(c))
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		e.fakes[c], e.urls[c] = f, srv.URL
	}
	s, err := e.st.InsertSeller(e.ctx, "Poller")
	if err != nil {
		t.Fatal(err)
	}
	e.seller = s.ID
	hours := 24
	if _, err := e.svc.UpdateSellerSettings(e.ctx, e.seller, monitor.SettingsChange{InactiveTrackingHours: &hours}); err != nil {
		t.Fatal(err)
	}
	return e
}

// carriers builds a Carriers over the env's service: another replica.
func (e *pollEnv) carriers(opts ...monitor.CarriersOption) *monitor.Carriers {
	return monitor.NewCarriers(e.svc, e.key, append([]monitor.CarriersOption{
		monitor.WithCarrierGuard(netguard.New(loopback, nil)), monitor.WithCarrierSleep(e.sleep)}, opts...)...)
}

func (e *pollEnv) account(c carrier.Carrier, hourly *int) string {
	e.t.Helper()
	a, err := e.car.CreateCarrierAccount(e.ctx, e.seller, monitor.CarrierAccountInput{Carrier: c, Environment: carrier.Custom,
		BaseURL: e.urls[c], ClientID: "client-" + string(c), ClientSecret: "secret-" + string(c), HourlyBudget: hourly})
	if err != nil {
		e.t.Fatal(err)
	}
	e.accts[c] = a.ID
	return a.ID
}

// number returns a new valid tracking number of the carrier.
func (e *pollEnv) number(c carrier.Carrier) string {
	e.n++
	switch c {
	case carrier.UPS:
		b := fmt.Sprintf("999AA101%07d", e.n)
		return "1Z" + b + string(ingesttest.UPSCheckDigit(b))
	case carrier.FedEx:
		b := fmt.Sprintf("71%09d", e.n)
		return b + string(ingesttest.FedExCheckDigit(b))
	}
	b := fmt.Sprintf("94001912345678%07d", e.n)
	return b + string(ingesttest.USPSCheckDigit(b))
}

// ship creates a shipment of the carrier shipped `ago` before the clock.
func (e *pollEnv) ship(c carrier.Carrier, ago time.Duration) store.Shipment {
	e.t.Helper()
	at := e.now().Add(-ago)
	res, err := e.svc.CreateShipments(e.ctx, e.seller, []shipment.Input{{OrderID: fmt.Sprintf("O-%d", e.n+1),
		Carrier: c.Code(), TrackingNumber: e.number(c), ShippedAt: &at}})
	if err != nil || res[0].Err != nil {
		e.t.Fatalf("CreateShipments() = %+v, %v", res, err)
	}
	return *res[0].Shipment
}

func (e *pollEnv) poll(c carrier.Carrier) monitor.PollStats {
	e.t.Helper()
	st, err := e.car.PollAccount(e.ctx, e.seller, e.accts[c])
	if err != nil {
		e.t.Fatalf("PollAccount(%s) = %v", c, err)
	}
	return st
}

func (e *pollEnv) shipment(id string) store.Shipment {
	e.t.Helper()
	sh, err := e.st.Shipment(e.ctx, e.seller, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sh
}

func (e *pollEnv) health(id string) source.Health {
	e.t.Helper()
	hs, err := e.car.SourceHealth(e.ctx, e.seller, []string{id})
	if err != nil || len(hs) != 1 {
		e.t.Fatalf("SourceHealth() = %v, %v", hs, err)
	}
	return hs[0]
}

// flags returns every flag of the shipment, open or not, by kind.
func (e *pollEnv) flags(sh store.Shipment) map[flag.Kind][]flag.Flag {
	e.t.Helper()
	page, err := e.st.Flags(e.ctx, e.seller, store.FlagFilter{ShipmentID: sh.ID}, 100, store.Cursor{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[flag.Kind][]flag.Flag{}
	for _, f := range page.Items {
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

func (e *pollEnv) sweep() {
	e.t.Helper()
	if _, _, err := e.svc.Sweep(e.ctx, e.now()); err != nil {
		e.t.Fatal(err)
	}
}

func scans(sh store.Shipment, steps ...fake.Scan) fake.Parcel {
	return fake.Parcel{Number: sh.TrackingNumber, Scans: steps}
}

func TestPollRecordsEventsForOpenShipmentsOfAccountCarriers(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.UPS, nil)
	e.account(carrier.FedEx, nil)
	now := e.now()
	ups := e.ship(carrier.UPS, 3*time.Hour)
	fedex := e.ship(carrier.FedEx, 3*time.Hour)
	usps := e.ship(carrier.USPS, 3*time.Hour) // no USPS account: never polled
	for _, sh := range []store.Shipment{ups, fedex, usps} {
		c := map[string]carrier.Carrier{"ups": carrier.UPS, "fedex": carrier.FedEx, "usps": carrier.USPS}[sh.Carrier]
		e.fakes[c].AddParcel(scans(sh,
			fake.Scan{At: now.Add(-2 * time.Hour), Status: shipment.StatusInTransit, City: "Louisville", State: "KY", ZIP: "40201", Country: "US"}))
	}
	if st := e.poll(carrier.UPS); st.Polled != 1 || st.Events != 1 || st.Requests != 1 {
		t.Fatalf("UPS poll = %+v, want 1 shipment polled in 1 request, 1 event", st)
	}
	if st := e.poll(carrier.FedEx); st.Polled != 1 || st.Events != 1 {
		t.Fatalf("FedEx poll = %+v", st)
	}
	for _, sh := range []store.Shipment{ups, fedex} {
		got := e.shipment(sh.ID)
		if got.Status != string(shipment.StatusInTransit) || got.FirstScanAt == nil || !got.FirstScanAt.Equal(now.Add(-2*time.Hour)) {
			t.Errorf("%s after poll: status %s, first scan %v; want IN_TRANSIT at %s", sh.Carrier, got.Status, got.FirstScanAt, now.Add(-2*time.Hour))
		}
		page, err := e.st.Events(e.ctx, e.seller, sh.NormalizedTrackingNumber, 10, store.Cursor{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("events = %v, %v", page.Items, err)
		}
		if src := page.Items[0].Source; src != string(carrier.Carrier(map[string]string{"ups": "UPS", "fedex": "FEDEX"}[sh.Carrier])) {
			t.Errorf("event source = %s", src)
		}
	}
	if e.fakes[carrier.USPS].Requests() != 0 {
		t.Error("USPS was called without a USPS account")
	}
	// Scanned and moving: polled again after the moving interval, not before.
	p, err := e.st.Poll(e.ctx, e.seller, ups.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(carrier.DefaultPolicy.Moving); !p.NextPollAt.Equal(want) || p.Priority != carrier.PriorityMoving || p.LastResult != "OK" {
		t.Errorf("poll row = %+v, want next %s at priority %d", p, want, carrier.PriorityMoving)
	}
	if st := e.poll(carrier.UPS); st.Claimed != 0 {
		t.Errorf("second poll at once claimed %d, want 0", st.Claimed)
	}
	// Delivered: leaves the schedule without another request.
	e.fakes[carrier.UPS].AddParcel(scans(ups,
		fake.Scan{At: now.Add(-2 * time.Hour), Status: shipment.StatusInTransit, City: "Louisville", State: "KY", ZIP: "40201", Country: "US"},
		fake.Scan{At: now.Add(time.Hour), Status: shipment.StatusDelivered, City: "Wayne", State: "NJ", ZIP: "07470", Country: "US"}))
	e.advance(carrier.DefaultPolicy.Moving)
	if st := e.poll(carrier.UPS); st.Events != 1 {
		t.Fatalf("poll after delivery = %+v, want the delivery", st)
	}
	if got := e.shipment(ups.ID); got.Status != string(shipment.StatusDelivered) {
		t.Fatalf("status = %s, want DELIVERED", got.Status)
	}
	if _, err := e.st.Poll(e.ctx, e.seller, ups.ID); err == nil {
		t.Error("a delivered shipment is still on the schedule")
	}
	before := e.fakes[carrier.UPS].Requests()
	e.advance(24 * time.Hour)
	e.poll(carrier.UPS)
	if n := e.fakes[carrier.UPS].Requests(); n != before {
		t.Errorf("requests after delivery: %d more, want none", n-before)
	}
}

func TestPollTokenExpiresBetweenRunsAnd429(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.FedEx, nil)
	sh := e.ship(carrier.FedEx, time.Hour)
	e.fakes[carrier.FedEx].AddParcel(scans(sh, fake.Scan{At: e.now().Add(-30 * time.Minute), Status: shipment.StatusInTransit,
		City: "Memphis", State: "TN", ZIP: "38118", Country: "US"}))
	e.poll(carrier.FedEx)
	// Two hours later the hour-long token has expired: one new token.
	e.advance(2 * time.Hour)
	e.fakes[carrier.FedEx].RateLimit(1, 5*time.Second)
	e.advance(carrier.DefaultPolicy.Moving)
	st := e.poll(carrier.FedEx)
	if st.Polled != 1 || st.Failed != 0 || st.Requests != 2 {
		t.Fatalf("poll with a 429 = %+v, want 1 polled after 2 requests (the 429 waited out)", st)
	}
	if n := e.fakes[carrier.FedEx].TokenRequests(); n != 2 {
		t.Errorf("token requests = %d, want 2", n)
	}
	if h := e.health(e.accts[carrier.FedEx]); h.State() != source.OK {
		t.Errorf("health = %s, want OK", h.State())
	}
}

// The carrier answers 503 for two hours of simulated time while a
// shipment approaches its inactive-tracking boundary; its first scan
// happened during the outage. No INACTIVE_TRACKING flag, one
// SOURCE_DEGRADED flag, resolved once polling recovers.
func TestPollOutageHoldsInactiveTracking(t *testing.T) {
	e := newPollEnv(t)
	id := e.account(carrier.UPS, nil)
	sh := e.ship(carrier.UPS, 23*time.Hour) // boundary (24 h) in one hour
	start := e.now()
	e.fakes[carrier.UPS].AddParcel(scans(sh, fake.Scan{At: start.Add(30 * time.Minute), Status: shipment.StatusInTransit,
		City: "Atlanta", State: "GA", ZIP: "30301", Country: "US"}))
	e.fakes[carrier.UPS].Down(start.Add(2*time.Hour), 2*time.Minute)
	for e.now().Before(start.Add(3 * time.Hour)) {
		e.poll(carrier.UPS)
		e.sweep()
		if fs := e.flags(sh); len(fs[flag.InactiveTracking]) > 0 {
			t.Fatalf("at +%s: INACTIVE_TRACKING raised during our own outage: %+v", e.now().Sub(start), fs[flag.InactiveTracking])
		}
		if e.now().Equal(start.Add(90 * time.Minute)) {
			h := e.health(id)
			if h.State() != source.Degraded || h.DegradedReason == "" || h.ErrorRate() != 1 {
				t.Fatalf("health during the outage = %+v, want DEGRADED with a reason", h)
			}
			open := e.flags(sh)[flag.SourceDegraded]
			if len(open) != 1 || !open[0].Open() {
				t.Fatalf("SOURCE_DEGRADED during the outage = %+v, want one open", open)
			}
			t.Logf("flag: %s", open[0].Message)
		}
		e.advance(5 * time.Minute)
	}
	fs := e.flags(sh)
	if len(fs[flag.SourceDegraded]) != 1 || fs[flag.SourceDegraded][0].Open() {
		t.Fatalf("SOURCE_DEGRADED after recovery = %+v, want one, resolved", fs[flag.SourceDegraded])
	}
	if got := e.shipment(sh.ID); got.FirstScanAt == nil || !got.FirstScanAt.Equal(start.Add(30*time.Minute)) {
		t.Errorf("first scan = %v, want the scan made during the outage", got.FirstScanAt)
	}
	if h := e.health(id); h.State() != source.OK || h.LastSuccessAt == nil || h.LagSeconds == nil {
		t.Errorf("health after recovery = %+v, want OK with a success and a lag", h)
	}
	// The other half of the rule: with a working source, a shipment past
	// its boundary with no scan is flagged.
	quiet := e.ship(carrier.UPS, 25*time.Hour)
	e.poll(carrier.UPS)
	e.sweep()
	if fs := e.flags(quiet); len(fs[flag.InactiveTracking]) != 1 || len(fs[flag.SourceDegraded]) != 0 {
		t.Errorf("flags of an unscanned shipment with a healthy source = %v, want INACTIVE_TRACKING", fs)
	}
}

func TestPollAnotherAccountsNumber(t *testing.T) {
	e := newPollEnv(t)
	id := e.account(carrier.USPS, nil)
	sh := e.ship(carrier.USPS, time.Hour)
	p := scans(sh, fake.Scan{At: e.now().Add(-30 * time.Minute), Status: shipment.StatusInTransit, City: "Denver", State: "CO", Country: "US"})
	p.Owner = "someone-else"
	e.fakes[carrier.USPS].AddParcel(p)
	st := e.poll(carrier.USPS)
	if st.NotFound != 1 || st.Events != 0 || st.Failed != 0 {
		t.Fatalf("poll = %+v, want 1 not found, no event, no failure", st)
	}
	row, err := e.st.Poll(e.ctx, e.seller, sh.ID)
	if err != nil || row.LastResult != "NOT_FOUND" {
		t.Fatalf("poll row = %+v, %v", row, err)
	}
	// Not found is an answer, not an outage.
	if h := e.health(id); h.State() != source.OK {
		t.Errorf("health = %s, want OK", h.State())
	}
	// Two days on, still unknown to these credentials: polled every Idle.
	e.advance(49 * time.Hour)
	e.poll(carrier.USPS)
	row, _ = e.st.Poll(e.ctx, e.seller, sh.ID)
	if want := e.now().Add(carrier.DefaultPolicy.Idle); !row.NextPollAt.Equal(want) || row.Priority != carrier.PriorityIdle {
		t.Errorf("poll row after two days = %+v, want next %s at idle priority", row, want)
	}
}

func TestPollRecycledNumber(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.UPS, nil)
	sh := e.ship(carrier.UPS, 2*time.Hour)
	now := e.now()
	e.fakes[carrier.UPS].AddParcel(scans(sh,
		// The number's previous life, 90 days ago, delivered.
		fake.Scan{At: now.Add(-90 * 24 * time.Hour), Status: shipment.StatusInTransit, City: "Austin", State: "TX", ZIP: "73301", Country: "US"},
		fake.Scan{At: now.Add(-88 * 24 * time.Hour), Status: shipment.StatusDelivered, City: "Austin", State: "TX", ZIP: "73301", Country: "US"},
		// This parcel.
		fake.Scan{At: now.Add(-time.Hour), Status: shipment.StatusInTransit, City: "Newark", State: "NJ", ZIP: "07101", Country: "US"}))
	st := e.poll(carrier.UPS)
	if st.Recycled != 2 || st.Events != 1 {
		t.Fatalf("poll = %+v, want 2 recycled events dropped, 1 attached", st)
	}
	if got := e.shipment(sh.ID); got.Status != string(shipment.StatusInTransit) || got.DeliveredAt != nil {
		t.Errorf("shipment = %s delivered %v, want IN_TRANSIT, not delivered by the old life", got.Status, got.DeliveredAt)
	}
}

func TestPollMissingOptionalFields(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.UPS, nil)
	sh := e.ship(carrier.UPS, 2*time.Hour)
	p := scans(sh, fake.Scan{At: e.now().Add(-time.Hour), Status: shipment.StatusInTransit})
	p.Sparse = true
	e.fakes[carrier.UPS].AddParcel(p)
	if st := e.poll(carrier.UPS); st.Events != 1 {
		t.Fatalf("poll = %+v, want the event without its optional fields", st)
	}
	if got := e.shipment(sh.ID); got.FirstScanAt == nil {
		t.Error("no first scan from a sparse answer")
	}
}

// A budget of 3 requests an hour is spent on the 3 shipments nearest their
// inactive-tracking boundary, every hour; the calm ones wait.
func TestPollBudgetSpentOnUrgentFirst(t *testing.T) {
	e := newPollEnv(t)
	three := 3
	e.account(carrier.UPS, &three)
	var urgent, calm []store.Shipment
	for range 3 {
		calm = append(calm, e.ship(carrier.UPS, time.Hour))
		urgent = append(urgent, e.ship(carrier.UPS, 20*time.Hour))
	}
	for hour := range 3 {
		st := e.poll(carrier.UPS)
		if st.Requests != 3 || !st.Quota {
			t.Fatalf("hour %d: run = %+v, want 3 requests and the quota hit", hour, st)
		}
		e.advance(time.Hour)
	}
	if n := e.fakes[carrier.UPS].Requests(); n != 9 {
		t.Errorf("requests = %d, want 9 (3 an hour)", n)
	}
	for _, sh := range urgent {
		if row, _ := e.st.Poll(e.ctx, e.seller, sh.ID); row.Polls != 3 {
			t.Errorf("urgent shipment polled %d times, want 3 (it goes first)", row.Polls)
		}
	}
	for _, sh := range calm {
		if row, _ := e.st.Poll(e.ctx, e.seller, sh.ID); row.Polls != 0 || row.LastResult != "QUOTA" {
			t.Errorf("calm shipment: %+v, want not polled, waiting on the quota", row)
		}
	}
	hour, _, err := e.st.RequestsUsed(e.ctx, e.seller, e.accts[carrier.UPS], e.now().Add(-time.Hour))
	if err != nil || hour != 3 {
		t.Errorf("requests reserved in the last hour = %d, %v; want 3", hour, err)
	}
}

// Two replicas polling the same account at once poll each shipment once.
func TestPollReplicasPollEachShipmentOnce(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.UPS, nil)
	const n = 60
	for range n {
		e.ship(carrier.UPS, time.Hour)
	}
	replicas := []*monitor.Carriers{e.car, e.carriers(), e.carriers()}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.PollAccount(e.ctx, e.seller, e.accts[carrier.UPS]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := e.fakes[carrier.UPS].Numbers(); got != n {
		t.Errorf("numbers asked of UPS = %d, want %d (one poll per shipment)", got, n)
	}
}

func TestCarrierAccountInput(t *testing.T) {
	e := newPollEnv(t)
	for _, tc := range []struct {
		in    monitor.CarrierAccountInput
		field string
	}{
		{monitor.CarrierAccountInput{Carrier: "DHL", ClientID: "a", ClientSecret: "b"}, "carrier"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, ClientSecret: "b"}, "clientId"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, ClientID: "a"}, "clientSecret"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, Environment: carrier.Custom, ClientID: "a", ClientSecret: "b"}, "baseUrl"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, Environment: carrier.Sandbox, BaseURL: "https://x.test", ClientID: "a", ClientSecret: "b"}, "baseUrl"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, Environment: carrier.Custom, BaseURL: "ftp://x.test", ClientID: "a", ClientSecret: "b"}, "baseUrl"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, Environment: carrier.Custom, BaseURL: "http://10.1.2.3", ClientID: "a", ClientSecret: "b"}, "baseUrl"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, Environment: carrier.Custom, BaseURL: "http://169.254.169.254", ClientID: "a", ClientSecret: "b"}, "baseUrl"},
		{monitor.CarrierAccountInput{Carrier: carrier.UPS, ClientID: "a", ClientSecret: "b", HourlyBudget: new(int)}, "hourlyBudget"},
	} {
		_, err := e.car.CreateCarrierAccount(e.ctx, e.seller, tc.in)
		var ferr *shipment.FieldError
		if !asField(err, &ferr) || ferr.Field != tc.field {
			t.Errorf("CreateCarrierAccount(%+v) = %v, want an error on %s", tc.in, err, tc.field)
		}
	}
	e.account(carrier.UPS, nil)
	_, err := e.car.CreateCarrierAccount(e.ctx, e.seller, monitor.CarrierAccountInput{Carrier: carrier.UPS, ClientID: "a", ClientSecret: "b"})
	var ferr *shipment.FieldError
	if !asField(err, &ferr) || ferr.Field != "carrier" {
		t.Errorf("second UPS account = %v, want a carrier error", err)
	}
	// The credentials check calls the token endpoint, and says so.
	res, err := e.car.TestCarrierAccount(e.ctx, e.seller, e.accts[carrier.UPS])
	if err != nil || !res.OK {
		t.Errorf("TestCarrierAccount(good) = %+v, %v", res, err)
	}
	bad, err := e.car.CreateCarrierAccount(e.ctx, e.seller, monitor.CarrierAccountInput{Carrier: carrier.FedEx, Environment: carrier.Custom,
		BaseURL: e.urls[carrier.FedEx], ClientID: "client-FEDEX", ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.car.TestCarrierAccount(e.ctx, e.seller, bad.ID); err != nil || res.OK {
		t.Errorf("TestCarrierAccount(wrong secret) = %+v, %v; want not OK", res, err)
	}
	// Another seller sees none of it.
	other, err := e.st.InsertSeller(e.ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.car.TestCarrierAccount(e.ctx, other.ID, bad.ID); err == nil {
		t.Error("another seller tested this seller's account")
	}
	if _, err := e.car.DeleteCarrierAccount(e.ctx, other.ID, bad.ID); err == nil {
		t.Error("another seller removed this seller's account")
	}
	if _, err := e.car.DeleteCarrierAccount(e.ctx, e.seller, bad.ID); err != nil {
		t.Fatal(err)
	}
}

func asField(err error, target **shipment.FieldError) bool { return errors.As(err, target) }

// The priority a shipment joins the schedule with (SQL, for many at once)
// is the one Policy.Next gives it.
func TestPrioritySQLMatchesNext(t *testing.T) {
	e := newPollEnv(t)
	e.account(carrier.UPS, nil)
	now := e.now()
	var all []store.Shipment
	all = append(all, e.ship(carrier.UPS, time.Hour), e.ship(carrier.UPS, 20*time.Hour), e.ship(carrier.UPS, 30*time.Hour))
	moving, lastMile := e.ship(carrier.UPS, 5*time.Hour), e.ship(carrier.UPS, 5*time.Hour)
	for _, ev := range []struct {
		sh     store.Shipment
		status shipment.Status
	}{{moving, shipment.StatusInTransit}, {lastMile, shipment.StatusOutForDelivery}} {
		if _, err := e.svc.RecordEvents(e.ctx, e.seller, []shipment.Event{{TrackingNumber: ev.sh.TrackingNumber,
			OccurredAt: now.Add(-time.Hour), Status: ev.status, Source: shipment.SourceBackOffice}}); err != nil {
			t.Fatal(err)
		}
	}
	soon, later := now.Add(3*time.Hour), now.Add(72*time.Hour)
	for _, by := range []*time.Time{&soon, &later} {
		res, err := e.svc.CreateShipments(e.ctx, e.seller, []shipment.Input{{OrderID: "U-" + by.String(), Carrier: "ups",
			TrackingNumber: e.number(carrier.UPS), ShipBy: by}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		all = append(all, *res[0].Shipment)
	}
	all = append(all, moving, lastMile)
	if _, err := e.st.SyncPolls(e.ctx, e.seller, e.accts[carrier.UPS], "ups", now, time.Minute, carrier.DefaultPolicy.PrioritySQL()); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, sh := range all {
		sh = e.shipment(sh.ID)
		row, err := e.st.Poll(e.ctx, e.seller, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, want, _ := carrier.DefaultPolicy.Next(carrier.PollState{Status: shipment.Status(sh.Status), CreatedAt: sh.CreatedAt,
			ShippedAt: sh.ShippedAt, FirstScanAt: sh.FirstScanAt, ShipBy: sh.ShipBy, InactiveHours: 24}, now, false)
		if row.Priority != want {
			t.Errorf("shipment %s (status %s, shipped %v, ship by %v): SQL priority %d, Next %d", sh.OrderID, sh.Status, sh.ShippedAt, sh.ShipBy, row.Priority, want)
		}
		seen[want] = true
	}
	if len(seen) < 4 {
		t.Errorf("priorities covered = %v, want boundary, unscanned, last mile and moving", seen)
	}
}

// The operator's default budget applies to an account whose seller set
// none; the seller's own replaces it.
func TestPollOperatorDefaultBudget(t *testing.T) {
	e := newPollEnv(t, monitor.WithDefaultBudgets(map[carrier.Carrier][2]int{carrier.UPS: {2, 10}}))
	e.account(carrier.UPS, nil)
	five := 5
	e.account(carrier.USPS, &five)
	for range 4 {
		e.ship(carrier.UPS, time.Hour)
		e.ship(carrier.USPS, time.Hour)
	}
	if st := e.poll(carrier.UPS); st.Requests != 2 || !st.Quota {
		t.Errorf("UPS run = %+v, want 2 requests (the operator's default) and the quota hit", st)
	}
	if st := e.poll(carrier.USPS); st.Requests != 4 || st.Quota {
		t.Errorf("USPS run = %+v, want all 4 within the seller's 5", st)
	}
	acct, err := e.st.CarrierAccount(e.ctx, e.seller, e.accts[carrier.UPS])
	if err != nil {
		t.Fatal(err)
	}
	if h, d := e.car.Budget(acct); h != 2 || d != 10 {
		t.Errorf("Budget() = %d, %d; want the operator's 2, 10", h, d)
	}
}

// A polled delivery with a signer is a proof of delivery, as a webhook's
// is, under the carrier's name.
func TestPollDeliveryWithSignerMakesProof(t *testing.T) {
	e := newPollEnv(t)
	for _, c := range carrier.Carriers {
		e.account(c, nil)
		sh := e.ship(c, 30*time.Hour)
		now := e.now()
		p := scans(sh,
			fake.Scan{At: now.Add(-20 * time.Hour), Status: shipment.StatusInTransit, City: "Reno", State: "NV", ZIP: "89501", Country: "US"},
			fake.Scan{At: now.Add(-time.Hour), Status: shipment.StatusDelivered, City: "Reno", State: "NV", ZIP: "89501", Country: "US"})
		p.SignedBy = "J. DOE"
		e.fakes[c].AddParcel(p)
		if st := e.poll(c); st.Events != 2 {
			t.Fatalf("%s poll = %+v, want 2 events", c, st)
		}
		ref := store.ChainRef{Number: sh.NormalizedTrackingNumber}
		proofs, err := e.st.ProofsOf(e.ctx, e.seller, []store.ChainRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		if ps := proofs[ref]; len(ps) != 1 || ps[0].SignedBy != "J. DOE" || ps[0].Source != string(c) {
			t.Errorf("%s proofs = %+v, want one signed by J. DOE from %s", c, ps, c)
		}
	}
}
