package simulate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
)

// ProviderCarriers plays lives through in-process fakes of the UPS, FedEx
// and USPS tracking APIs, which the server polls with carrier accounts
// the simulator adds (and removes when done): polling seen working with
// no carrier account of one's own.
const ProviderCarriers = "carriers"

const (
	addCarrierAccountMutation = `mutation($c: PolledCarrier!, $u: String!, $id: String!, $s: String!) {
  addCarrierAccount(input: {carrier: $c, environment: CUSTOM, baseUrl: $u, clientId: $id, clientSecret: $s}) { id }
}`
	testCarrierAccountMutation   = `mutation($id: ID!) { testCarrierAccount(id: $id) { ok message } }`
	removeCarrierAccountMutation = `mutation($id: ID!) { removeCarrierAccount(id: $id) { id } }`
)

// carrierWait is how long a carriers run waits for the server's poller
// when no duration is given: a few of its default one-minute ticks.
const carrierWait = 5 * time.Minute

// runCarriers serves the lives of the listed shipments of UPS, FedEx and
// USPS from fakes on opts.FakeHost, adds a carrier account per carrier
// pointing at its fake, and waits until the server has asked about every
// shipment (or opts.Duration, else carrierWait, passes). Events dated in
// the future show when their time comes, as at a carrier.
func runCarriers(ctx context.Context, opts Options, a *api, list []Shipment, stats *Stats, log *slog.Logger) error {
	mix := opts.Mix
	if mix == nil {
		mix = DefaultMix()
	}
	fakes := map[carrier.Carrier]*fake.Carrier{}
	parcels := map[carrier.Carrier]int{}
	for _, s := range list {
		c := carrier.Carrier(strings.ToUpper(s.Carrier))
		if !c.Valid() {
			stats.Skipped++
			continue
		}
		f, ok := fakes[c]
		if !ok {
			f = fake.New(c, time.Now)
			fakes[c] = f
		}
		life := NewLife(s, mix, lifeRand(opts.Seed, s.TrackingNumber))
		if !opts.Until.IsZero() {
			life.Events = life.Before(opts.Until)
		}
		p := fake.Parcel{Number: s.TrackingNumber}
		for _, e := range life.Events {
			p.Scans = append(p.Scans, fake.Scan{At: e.OccurredAt, Status: e.Status, City: e.Location.City,
				State: e.Location.Region, ZIP: e.Location.PostalCode, Country: e.Location.Country})
		}
		f.AddParcel(p)
		parcels[c]++
		stats.Events += len(p.Scans)
	}
	if len(fakes) == 0 {
		log.Info("no UPS, FedEx or USPS shipments to simulate", "skipped", stats.Skipped)
		return nil
	}
	host := opts.FakeHost
	if host == "" {
		host = "127.0.0.1"
	}
	var accounts []string
	defer func() {
		// The fakes go away with this process: so do the accounts, or the
		// server would find them failing and hold the seller's flags.
		for _, id := range accounts {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := a.do(cctx, removeCarrierAccountMutation, map[string]any{"id": id}, nil); err != nil {
				log.Warn("remove carrier account", "id", id, "err", err)
			}
			cancel()
		}
	}()
	for c, f := range fakes {
		id, secret, err := credentials()
		if err != nil {
			return err
		}
		f.AddClient(id, secret)
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return fmt.Errorf("simulate: listen for the fake %s: %w", c, err)
		}
		srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln) //nolint:errcheck // ends with Close below
		defer srv.Close()
		base := "http://" + ln.Addr().String()
		var added struct {
			AddCarrierAccount struct{ ID string } `json:"addCarrierAccount"`
		}
		if err := a.do(ctx, addCarrierAccountMutation, map[string]any{"c": string(c), "u": base, "id": id, "s": secret}, &added); err != nil {
			return fmt.Errorf("add %s carrier account (the server must allow %s: SHIPWATCH_CARRIER_ALLOW_CIDRS): %w", c, host, err)
		}
		accounts = append(accounts, added.AddCarrierAccount.ID)
		var tested struct {
			TestCarrierAccount struct {
				OK      bool   `json:"ok"`
				Message string `json:"message"`
			} `json:"testCarrierAccount"`
		}
		if err := a.do(ctx, testCarrierAccountMutation, map[string]any{"id": added.AddCarrierAccount.ID}, &tested); err != nil {
			return fmt.Errorf("test %s carrier account: %w", c, err)
		}
		if !tested.TestCarrierAccount.OK {
			return fmt.Errorf("test %s carrier account: %s", c, tested.TestCarrierAccount.Message)
		}
		log.Info("fake carrier serving", "carrier", c, "url", base, "account_id", added.AddCarrierAccount.ID, "shipments", parcels[c])
	}
	wait := opts.Duration
	if wait == 0 {
		wait = carrierWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		done := true
		stats.Sent = 0
		for c, f := range fakes {
			stats.Sent += int(f.Requests())
			if f.Numbers() < int64(parcels[c]) {
				done = false
			}
		}
		if done {
			stats.Accepted = stats.Shipments - stats.Skipped
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errors.New("simulate: the server did not poll every shipment in time (is its poll interval longer than --duration?)")
		case <-tick.C:
		}
	}
}

// credentials are a fake account's random client id and secret.
func credentials() (id, secret string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("simulate: make credentials: %w", err)
	}
	return "sim-" + hex.EncodeToString(b[:8]), hex.EncodeToString(b[8:]), nil
}
