package carrier_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// simClock is a simulated clock: sleeping advances it at once.
type simClock struct {
	mu sync.Mutex
	t  time.Time
	// slept is every wait a client asked for.
	slept []time.Duration
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *simClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return nil
}

var start = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

func setup(t *testing.T, c carrier.Carrier) (*simClock, *fake.Carrier, *carrier.Client) {
	t.Helper()
	clock := &simClock{t: start}
	f := fake.New(c, clock.Now)
	f.AddClient("id-1", "secret-1")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cl := carrier.New(c, srv.URL, carrier.Credentials{ClientID: "id-1", ClientSecret: "secret-1"},
		carrier.WithClock(clock.Now, clock.Sleep))
	return clock, f, cl
}

func life(number string) fake.Parcel {
	return fake.Parcel{Number: number, Scans: []fake.Scan{
		{At: start.Add(-3 * time.Hour), Status: shipment.StatusLabelCreated, City: "Wayne", State: "NJ", ZIP: "07470", Country: "US"},
		{At: start.Add(-1 * time.Hour), Status: shipment.StatusInTransit, City: "El Paso", State: "TX", ZIP: "79901", Country: "US"},
	}}
}

func TestTrackEachCarrier(t *testing.T) {
	for _, c := range carrier.Carriers {
		t.Run(string(c), func(t *testing.T) {
			_, f, cl := setup(t, c)
			f.AddParcel(life("N1"))
			res, err := cl.Track(context.Background(), []string{"N1"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].NotFound || len(res[0].Events) != 2 {
				t.Fatalf("Track() = %+v, want 2 events", res)
			}
			got := map[shipment.Status]time.Time{}
			for _, e := range res[0].Events {
				got[e.Status] = e.OccurredAt
				if e.Source != c.Source() {
					t.Errorf("event source = %s, want %s", e.Source, c.Source())
				}
			}
			// El Paso is on Mountain time although Texas is on Central: the
			// ZIP prefix decides, and the time comes back exact.
			if at := got[shipment.StatusInTransit]; !at.Equal(start.Add(-time.Hour)) {
				t.Errorf("in-transit at %s, want %s", at, start.Add(-time.Hour))
			}
			if at := got[shipment.StatusLabelCreated]; !at.Equal(start.Add(-3 * time.Hour)) {
				t.Errorf("label at %s, want %s", at, start.Add(-3*time.Hour))
			}
		})
	}
}

func TestTokenCachedAndRenewedWhenItExpiresMidRun(t *testing.T) {
	clock, f, cl := setup(t, carrier.FedEx)
	f.AddParcel(life("N1"))
	ctx := context.Background()
	for range 3 {
		if _, err := cl.Track(ctx, []string{"N1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("token requests after 3 calls = %d, want 1 (cached)", n)
	}
	// The hour FedEx announces passes: the next call gets a new token
	// before it leaves.
	clock.Advance(time.Hour)
	if _, err := cl.Track(ctx, []string{"N1"}); err != nil {
		t.Fatal(err)
	}
	if n := f.TokenRequests(); n != 2 {
		t.Fatalf("token requests after expiry = %d, want 2", n)
	}
	// The carrier ends the token early (mid-run): the 401 is answered by
	// one new token and the same request again, which succeeds.
	f.ExpireTokens()
	res, err := cl.Track(ctx, []string{"N1"})
	if err != nil || len(res[0].Events) != 2 {
		t.Fatalf("Track() after revocation = %+v, %v", res, err)
	}
	if n := f.TokenRequests(); n != 3 {
		t.Fatalf("token requests after revocation = %d, want 3", n)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	clock, f, cl := setup(t, carrier.UPS)
	f.AddParcel(life("N1"))
	f.RateLimit(1, 7*time.Second)
	res, err := cl.Track(context.Background(), []string{"N1"})
	if err != nil || len(res[0].Events) != 2 {
		t.Fatalf("Track() = %+v, %v", res, err)
	}
	if len(clock.slept) != 1 || clock.slept[0] != 7*time.Second {
		t.Fatalf("waits = %v, want [7s] (the Retry-After)", clock.slept)
	}
	if n := f.Requests(); n != 2 {
		t.Fatalf("requests = %d, want 2", n)
	}
	// A Retry-After longer than the client waits in a call is returned,
	// for the poller to pause the account.
	f.RateLimit(1, 10*time.Minute)
	_, err = cl.Track(context.Background(), []string{"N1"})
	var herr *carrier.HTTPError
	if !errors.As(err, &herr) || herr.Status != 429 || herr.RetryAfter != 10*time.Minute {
		t.Fatalf("Track() error = %v, want a 429 asking for 10m", err)
	}
}

func TestServerErrorReturnedWithRetryAfter(t *testing.T) {
	clock, f, cl := setup(t, carrier.USPS)
	f.AddParcel(life("N1"))
	f.Down(clock.Now().Add(2*time.Hour), 120*time.Second)
	_, err := cl.Track(context.Background(), []string{"N1"})
	var herr *carrier.HTTPError
	if !errors.As(err, &herr) || herr.Status != 503 || !herr.Temporary() {
		t.Fatalf("Track() error = %v, want a 503", err)
	}
}

func TestBadCredentials(t *testing.T) {
	for _, c := range carrier.Carriers {
		_, _, cl := setup(t, c)
		if err := cl.CheckCredentials(context.Background()); err != nil {
			t.Errorf("%s: CheckCredentials(good) = %v", c, err)
		}
		bad := carrier.New(c, "http://127.0.0.1:1", carrier.Credentials{ClientID: "x", ClientSecret: "y"})
		if err := bad.CheckCredentials(context.Background()); err == nil {
			t.Errorf("%s: CheckCredentials(unreachable) = nil", c)
		}
	}
	_, f, _ := setup(t, carrier.UPS)
	srv := httptest.NewServer(f)
	defer srv.Close()
	wrong := carrier.New(carrier.UPS, srv.URL, carrier.Credentials{ClientID: "id-1", ClientSecret: "nope"})
	if err := wrong.CheckCredentials(context.Background()); !errors.Is(err, carrier.ErrUnauthorized) {
		t.Errorf("CheckCredentials(wrong secret) = %v, want ErrUnauthorized", err)
	}
}

func TestAnotherAccountsNumberIsNotFound(t *testing.T) {
	for _, c := range carrier.Carriers {
		_, f, cl := setup(t, c)
		p := life("N1")
		p.Owner = "someone-else"
		f.AddParcel(p)
		res, err := cl.Track(context.Background(), []string{"N1"})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if !res[0].NotFound || len(res[0].Events) != 0 || res[0].Reason == "" {
			t.Errorf("%s: Track(another account's number) = %+v, want not found with the carrier's reason", c, res[0])
		}
	}
}

func TestMissingOptionalFields(t *testing.T) {
	for _, c := range carrier.Carriers {
		_, f, cl := setup(t, c)
		p := life("N1")
		p.Sparse = true
		f.AddParcel(p)
		res, err := cl.Track(context.Background(), []string{"N1"})
		if err != nil || len(res[0].Events) != 2 {
			t.Fatalf("%s: Track(sparse) = %+v, %v", c, res, err)
		}
		for _, e := range res[0].Events {
			if e.OccurredAt.IsZero() || !e.Status.Valid() {
				t.Errorf("%s: sparse event %+v has no time or status", c, e)
			}
		}
	}
}

func TestFedExBatch(t *testing.T) {
	_, f, cl := setup(t, carrier.FedEx)
	numbers := []string{}
	for i := range 30 {
		n := "F" + string(rune('A'+i%26)) + string(rune('0'+i/26))
		numbers = append(numbers, n)
		if i%2 == 0 {
			f.AddParcel(life(n))
		}
	}
	res, err := cl.Track(context.Background(), numbers)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Number != numbers[i] || r.NotFound != (i%2 == 1) {
			t.Errorf("result %d = %s notFound=%v", i, r.Number, r.NotFound)
		}
	}
	if f.Requests() != 1 {
		t.Errorf("requests = %d, want 1 for 30 numbers", f.Requests())
	}
	if _, err := cl.Track(context.Background(), append(numbers, "ONE-MORE")); err == nil {
		t.Error("Track(31 numbers) = nil error")
	}
}

func TestZone(t *testing.T) {
	for _, tc := range []struct {
		country, region, postal, want string
	}{
		{"US", "NJ", "07470", "America/New_York"},
		{"US", "TX", "79901", "America/Denver"},
		{"US", "TX", "75201", "America/Chicago"},
		{"US", "", "32501", "America/Chicago"}, // Pensacola: ZIP alone
		{"US", "FL", "", "America/New_York"},
		{"US", "AZ", "", "America/Phoenix"},
		{"US", "", "", ""},
		{"GB", "", "SW1A 1AA", "Europe/London"},
		{"DE", "", "", "Europe/Berlin"},
		{"CA", "ON", "", ""}, // several zones: not guessed
		{"", "", "", ""},
	} {
		loc, ok := carrier.Zone(tc.country, tc.region, tc.postal)
		got := ""
		if ok {
			got = loc.String()
		}
		if got != tc.want {
			t.Errorf("Zone(%q, %q, %q) = %q, want %q", tc.country, tc.region, tc.postal, got, tc.want)
		}
	}
}

func TestUPSActivityTimeResolvedFromLocation(t *testing.T) {
	raw := []byte(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1Z1","activity":[
		{"date":"20260710","time":"071356","location":{"address":{"city":"Phoenix","stateProvince":"AZ","countryCode":"US"}},"status":{"type":"I","code":"AR"}},
		{"date":"20260710","time":"060000","location":{"address":{"city":"Paris","countryCode":"FR"}},"status":{"type":"P"}},
		{"date":"20260710","time":"050000","gmtDate":"20260710","gmtTime":"74700","status":{"type":"M"}}]}]}]}}`)
	res, err := carrier.ParseUPS(raw, "1Z1")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		at    time.Time
		local string
	}{
		{time.Date(2026, 7, 10, 14, 13, 56, 0, time.UTC), "20260710 071356"}, // Phoenix: UTC-7, no DST
		{time.Date(2026, 7, 10, 4, 0, 0, 0, time.UTC), "20260710 060000"},    // Paris in summer: UTC+2
		{time.Date(2026, 7, 10, 7, 47, 0, 0, time.UTC), "20260710 050000"},   // no location: the GMT fields
	}
	for i, w := range want {
		e := res.Events[i]
		if !e.OccurredAt.Equal(w.at) || e.OccurredLocal != w.local {
			t.Errorf("event %d at %s (%q), want %s (%q)", i, e.OccurredAt, e.OccurredLocal, w.at, w.local)
		}
	}
}
