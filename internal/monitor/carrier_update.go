package monitor

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// CarrierAccountUpdate is a change to an account; nil and false fields
// change nothing.
type CarrierAccountUpdate struct {
	Environment *carrier.Environment
	BaseURL     *string
	// ClientID needs ClientSecret; ClientSecret alone rotates the secret
	// of the current client id.
	ClientID, ClientSecret *string
	HourlyBudget           *int
	DailyBudget            *int
	// DefaultBudgets forgets the seller's budgets: the operator's default,
	// else the carrier's, applies.
	DefaultBudgets bool
	// Resume polls at the next tick without waiting out the back-off;
	// implied by new credentials, environment or base URL.
	Resume bool
}

// UpdateCarrierAccount changes an account in place: new credentials
// (sealed like the first ones, never returned), environment or base URL,
// budgets, or a resume after a back-off. The events it brought, its poll
// schedule, usage and health stay; every replica builds a new client on
// its next poll (the account's revision changed).
func (c *Carriers) UpdateCarrierAccount(ctx context.Context, sellerID, id string, in CarrierAccountUpdate) (store.CarrierAccount, error) {
	if in == (CarrierAccountUpdate{}) {
		return store.CarrierAccount{}, &shipment.FieldError{Field: "input", Message: "changes nothing: give new credentials, environment, baseUrl, budgets, defaultBudgets or resume"}
	}
	acct, err := c.store.CarrierAccount(ctx, sellerID, id)
	if err != nil {
		return store.CarrierAccount{}, err
	}
	ch := store.CarrierAccountChange{HourlyBudget: in.HourlyBudget, DailyBudget: in.DailyBudget,
		DefaultBudgets: in.DefaultBudgets, Resume: in.Resume, At: c.svc.now()}
	if in.DefaultBudgets && (in.HourlyBudget != nil || in.DailyBudget != nil) {
		return store.CarrierAccount{}, &shipment.FieldError{Field: "defaultBudgets", Message: "cannot be given with hourlyBudget or dailyBudget"}
	}
	if err := checkBudgets(in.HourlyBudget, in.DailyBudget); err != nil {
		return store.CarrierAccount{}, err
	}
	if in.Environment != nil || in.BaseURL != nil {
		if ch.Environment, ch.BaseURL, err = c.endpoint(ctx, acct, in); err != nil {
			return store.CarrierAccount{}, err
		}
		ch.Endpoint, ch.Resume = true, true
	}
	if in.ClientID != nil || in.ClientSecret != nil {
		creds, err := c.rotated(acct, in)
		if err != nil {
			return store.CarrierAccount{}, err
		}
		if ch.Sealed, ch.ClientIDHint, err = c.seal(sellerID, carrier.Carrier(acct.Carrier), creds); err != nil {
			return store.CarrierAccount{}, fmt.Errorf("update carrier account: %w", err)
		}
		ch.KeyID, ch.Resume = c.key.ID(), true
	}
	updated, err := c.store.UpdateCarrierAccount(ctx, sellerID, id, ch)
	if err != nil {
		return store.CarrierAccount{}, err
	}
	c.mu.Lock()
	delete(c.clients, id)
	c.mu.Unlock()
	return updated, nil
}

// endpoint is the account's environment and base URL after the update:
// leaving CUSTOM drops the URL, staying in CUSTOM keeps it unless a new
// one is given, and a new URL is checked by the network guard.
func (c *Carriers) endpoint(ctx context.Context, acct store.CarrierAccount, in CarrierAccountUpdate) (env, base string, err error) {
	e := carrier.Environment(acct.Environment)
	if in.Environment != nil {
		if e = *in.Environment; !e.Valid() {
			return "", "", &shipment.FieldError{Field: "environment", Message: clip.Quote(string(e)) + " is not PRODUCTION, SANDBOX or CUSTOM"}
		}
	}
	raw := ""
	switch {
	case in.BaseURL != nil:
		raw = *in.BaseURL
	case e == carrier.Custom && carrier.Environment(acct.Environment) == carrier.Custom:
		raw = acct.BaseURL
	}
	base, err = c.checkBaseURL(ctx, e, raw)
	return string(e), base, err
}

// rotated returns the account's new credentials: both given, or a new
// secret for the client id sealed now.
func (c *Carriers) rotated(acct store.CarrierAccount, in CarrierAccountUpdate) (carrier.Credentials, error) {
	if in.ClientSecret == nil {
		return carrier.Credentials{}, &shipment.FieldError{Field: "clientSecret", Message: "is required with a new clientId"}
	}
	if err := checkCredential("clientSecret", *in.ClientSecret); err != nil {
		return carrier.Credentials{}, err
	}
	if in.ClientID != nil {
		if err := checkCredential("clientId", *in.ClientID); err != nil {
			return carrier.Credentials{}, err
		}
		return carrier.Credentials{ClientID: *in.ClientID, ClientSecret: *in.ClientSecret}, nil
	}
	old, err := c.open(acct)
	if errors.Is(err, ErrWrongKey) {
		return carrier.Credentials{}, &shipment.FieldError{Field: "clientId",
			Message: "is required: the stored credentials were sealed under another SHIPWATCH_SECRET_KEY, give both"}
	}
	if err != nil {
		return carrier.Credentials{}, fmt.Errorf("update carrier account: %w", err)
	}
	return carrier.Credentials{ClientID: old.ClientID, ClientSecret: *in.ClientSecret}, nil
}
