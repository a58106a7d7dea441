package config

import (
	"math"
	"net/netip"
	"strconv"
	"time"
)

// Limits bound what one client may cost the server: how long it may take
// to send a request, and how many requests it may send (docs/security.md,
// Internet client).
type Limits struct {
	// ReadHeaderTimeout bounds the time to read a request's headers.
	ReadHeaderTimeout time.Duration
	// BodyTimeout bounds the time to read a request body other than an
	// upload (GraphQL, webhooks).
	BodyTimeout time.Duration
	// UploadMinRate is the slowest an upload may arrive, in bytes per
	// second averaged over UploadRateWindow; a slower one is cut off.
	UploadMinRate    int64
	UploadRateWindow time.Duration
	// RateAddress limits requests per client address before
	// authentication: requests without a key and failed key attempts.
	RateAddress Rate
	// RateKey limits requests per API key, after authentication.
	RateKey Rate
	// RateWebhook limits tracking-provider webhooks per source and
	// client address.
	RateWebhook Rate
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Empty: the connection's address is the client's.
	TrustedProxies []netip.Prefix
}

// Rate is a token bucket: PerSecond requests a second on average, Burst at
// once. A zero Rate does not limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Off reports whether the rate does not limit.
func (r Rate) Off() bool { return r.PerSecond == 0 || r.Burst == 0 }

func defaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		BodyTimeout:       time.Minute,
		UploadMinRate:     8 << 10,
		UploadRateWindow:  30 * time.Second,
		RateAddress:       Rate{PerSecond: 10, Burst: 50},
		RateKey:           Rate{PerSecond: 50, Burst: 200},
		RateWebhook:       Rate{PerSecond: 200, Burst: 2000},
	}
}

func (r *reader) limits(def Limits) Limits {
	l := def
	l.ReadHeaderTimeout = r.duration("SHIPWATCH_READ_HEADER_TIMEOUT", l.ReadHeaderTimeout, time.Second)
	l.BodyTimeout = r.duration("SHIPWATCH_BODY_TIMEOUT", l.BodyTimeout, time.Second)
	l.UploadMinRate = r.bytes("SHIPWATCH_UPLOAD_MIN_RATE", l.UploadMinRate)
	l.UploadRateWindow = r.duration("SHIPWATCH_UPLOAD_RATE_WINDOW", l.UploadRateWindow, time.Second)
	l.RateAddress = r.rate("SHIPWATCH_RATE_ADDRESS", l.RateAddress)
	l.RateKey = r.rate("SHIPWATCH_RATE_KEY", l.RateKey)
	l.RateWebhook = r.rate("SHIPWATCH_RATE_WEBHOOK", l.RateWebhook)
	l.TrustedProxies = r.cidrs("SHIPWATCH_TRUSTED_PROXIES")
	return l
}

// MaxRate is the highest rate or burst a limit accepts.
const MaxRate = 1_000_000

// rate reads NAME (requests per second, a decimal number, 0 to disable)
// and NAME_BURST (a whole number, 0 to disable).
func (r *reader) rate(name string, def Rate) Rate {
	out := def
	if v := r.str(name, ""); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > MaxRate {
			r.fail(name, v, "requests per second from 0 (no limit) to 1000000, such as 20 or 0.5")
		} else {
			out.PerSecond = f
		}
	}
	burst := name + "_BURST"
	if v := r.str(burst, ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxRate {
			r.fail(burst, v, "a whole number of requests from 0 (no limit) to 1000000")
		} else {
			out.Burst = n
		}
	}
	return out
}
