// Package carrier talks to carriers' own tracking APIs (UPS Track API,
// FedEx Track API, USPS Tracking API v3) with a seller's OAuth client
// credentials, and turns their answers into carrier events. It holds the
// clients (token caching, back-off honouring Retry-After), the resolution
// of zoneless scan times from the scan's location, and the poll schedule's
// policy. It keeps no state in the database: monitor does that.
// docs/carriers.md cites the API versions the shapes come from.
package carrier

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Carrier is a carrier Shipwatch can poll (GraphQL enum PolledCarrier).
type Carrier string

// The carriers with a client.
const (
	UPS   Carrier = "UPS"
	FedEx Carrier = "FEDEX"
	USPS  Carrier = "USPS"
)

// Carriers lists them.
var Carriers = []Carrier{UPS, FedEx, USPS}

// Valid reports whether c is one of Carriers.
func (c Carrier) Valid() bool { return c == UPS || c == FedEx || c == USPS }

// Code is the carrier's code in tracking-number detection and in a
// shipment's declared carrier (internal/tracking).
func (c Carrier) Code() string { return strings.ToLower(string(c)) }

// Source is the source its events are stored under.
func (c Carrier) Source() shipment.Source { return shipment.Source(c) }

// BatchSize is how many numbers one tracking request carries: FedEx takes
// up to 30 (its Track API's limit), UPS and USPS one per request.
func (c Carrier) BatchSize() int {
	if c == FedEx {
		return 30
	}
	return 1
}

// DefaultBudget is the requests per hour and per day an account may make
// when the seller or operator set none. USPS grants new apps a low hourly
// quota; the others are well under what their developer programmes allow
// a project, so a seller's other integrations keep room.
func (c Carrier) DefaultBudget() (hourly, daily int) {
	switch c {
	case USPS:
		return 60, 1440
	case FedEx:
		return 10_000, 100_000
	}
	return 20_000, 200_000
}

// Environment says which of the carrier's hosts an account calls
// (GraphQL enum CarrierEnvironment).
type Environment string

// The environments.
const (
	Production Environment = "PRODUCTION"
	Sandbox    Environment = "SANDBOX"
	// Custom is a base URL the operator set (a proxy, a fake in tests).
	Custom Environment = "CUSTOM"
)

// Valid reports whether e is one of the environments.
func (e Environment) Valid() bool { return e == Production || e == Sandbox || e == Custom }

// BaseURL is the carrier's documented host for an environment; "" for
// Custom, whose URL the account holds.
func (c Carrier) BaseURL(e Environment) string {
	hosts := map[Carrier][2]string{
		UPS:   {"https://onlinetools.ups.com", "https://wwwcie.ups.com"},
		FedEx: {"https://apis.fedex.com", "https://apis-sandbox.fedex.com"},
		USPS:  {"https://apis.usps.com", "https://apis-tem.usps.com"},
	}
	switch e {
	case Production:
		return hosts[c][0]
	case Sandbox:
		return hosts[c][1]
	}
	return ""
}

// Credentials are an account's OAuth 2 client credentials (UPS and USPS
// call them client id and secret, FedEx API key and secret key).
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Result is what the carrier said about one number.
type Result struct {
	Number string
	Events []shipment.Event
	// NotFound: the carrier has nothing for the number under these
	// credentials (unknown, not yet in its system, or another account's);
	// Reason is the carrier's words.
	NotFound bool
	Reason   string
}

// ErrUnauthorized means the carrier refused the credentials.
var ErrUnauthorized = errors.New("the carrier refused the credentials")

// HTTPError is a failed call: the status, the carrier's message, and how
// long it asked us to wait (429, 503) if it said.
type HTTPError struct {
	Op         string
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Op, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Temporary reports whether a later call may succeed: rate limits and
// server errors.
func (e *HTTPError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

// MarshalGQL writes c as a GraphQL enum value.
func (c Carrier) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(c))) } //nolint:errcheck // gqlgen's writer keeps the error

// UnmarshalGQL reads c from a GraphQL enum value.
func (c *Carrier) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !Carrier(s).Valid() {
		return fmt.Errorf("%v is not a valid PolledCarrier", v)
	}
	*c = Carrier(s)
	return nil
}

// MarshalGQL writes e as a GraphQL enum value.
func (e Environment) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) } //nolint:errcheck // as Carrier's

// UnmarshalGQL reads e from a GraphQL enum value.
func (e *Environment) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !Environment(s).Valid() {
		return fmt.Errorf("%v is not a valid CarrierEnvironment", v)
	}
	*e = Environment(s)
	return nil
}

// plausible reports whether a parsed scan time can be a real one: a
// malformed date (year 0, year 9999) is dropped, not stored.
func plausible(t time.Time) bool { return t.Year() >= 1990 && t.Year() <= 2200 }
