package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ShippoSignatureHeader carries Shippo's HMAC, when the seller has had
// Shippo set one up: "t=<unix seconds>,v1=<hex HMAC-SHA256>", the HMAC
// keyed with the shared secret over the timestamp as sent, a ".", and the
// raw body. Shippo's page shows it as the CGI variable
// HTTP_SHIPPO_AUTH_SIGNATURE, which is this header (docs/events.md,
// Signatures, says where the construction comes from).
const ShippoSignatureHeader = "Shippo-Auth-Signature"

// shippoAltSignatureHeader is read only when ShippoSignatureHeader is
// absent: Shippo's own agent knowledge pack names the header
// "Shippo-Signature" without describing it. The value must still be a
// valid HMAC of the same construction, so reading it weakens nothing.
const shippoAltSignatureHeader = "Shippo-Signature"

// ShippoSignatureTolerance is how far a signature's timestamp may be from
// the receiver's clock, either way. Five minutes covers clock skew and
// Shippo's retries of one attempt (they re-sign with a new timestamp);
// a replay inside the window only stores the delivery again, and its
// events are deduplicated by fingerprint, so it changes nothing.
const ShippoSignatureTolerance = 5 * time.Minute

// maxShippoSignatureBytes bounds the header read: a real one is about 80
// bytes, a few v1 values (a secret being rotated) a few hundred.
const maxShippoSignatureBytes = 1024

// ErrStaleSignature means a well-formed signature whose timestamp is
// outside ShippoSignatureTolerance of now. It is an ErrBadSignature.
var ErrStaleSignature = fmt.Errorf("%w: timestamp more than %v from this server's clock", ErrBadSignature, ShippoSignatureTolerance)

// ShippoSign is the Shippo-Auth-Signature value for body signed at unix
// time ts with secret: what Shippo sends, and what tests and the
// simulator send in its place.
func ShippoSign(body []byte, secret string, ts int64) string {
	t := strconv.FormatInt(ts, 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(shippoMAC([]byte(secret), t, body))
}

// VerifyShippo checks the Shippo-Auth-Signature header against body, the
// raw request bytes as received, under the source's HMAC secret: the
// timestamp must be within ShippoSignatureTolerance of now and one v1
// value must equal the HMAC, compared in constant time. Fields other
// than t and v1 are ignored, as a later scheme version would add them.
func VerifyShippo(body []byte, header http.Header, secret string, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	value := strings.TrimSpace(header.Get(ShippoSignatureHeader))
	if value == "" {
		value = strings.TrimSpace(header.Get(shippoAltSignatureHeader))
	}
	if value == "" {
		return ErrMissingSignature
	}
	if len(value) > maxShippoSignatureBytes {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadSignature, maxShippoSignatureBytes)
	}
	t, sigs, err := parseShippoSignature(value)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || ts < 0 {
		return fmt.Errorf("%w: t is not a unix time in seconds", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > ShippoSignatureTolerance || d < -ShippoSignatureTolerance {
		return ErrStaleSignature
	}
	want := shippoMAC([]byte(secret), t, body)
	ok := 0
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err != nil || len(got) != sha256.Size {
			return fmt.Errorf("%w: v1 is not 64 hex digits", ErrBadSignature)
		}
		if hmac.Equal(got, want) {
			ok = 1
		}
	}
	if ok != 1 {
		return ErrBadSignature
	}
	return nil
}

// parseShippoSignature splits "t=…,v1=…[,v1=…]" into the one timestamp,
// as sent, and the v1 values.
func parseShippoSignature(value string) (t string, v1 []string, err error) {
	seenT := false
	for _, part := range strings.Split(value, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || v == "" {
			return "", nil, fmt.Errorf("%w: want t=<unix seconds>,v1=<hex>", ErrBadSignature)
		}
		switch k {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: t given twice", ErrBadSignature)
			}
			t, seenT = v, true
		case "v1":
			v1 = append(v1, v)
		}
	}
	if !seenT || len(v1) == 0 {
		return "", nil, fmt.Errorf("%w: want t=<unix seconds>,v1=<hex>", ErrBadSignature)
	}
	return t, v1, nil
}

func shippoMAC(key []byte, t string, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(t))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}
