// Package webhook verifies and parses the tracking webhooks that a seller's
// tracking provider (EasyPost, AfterShip) sends to Shipwatch, turning them
// into shipment.Event values. It is pure: no I/O, no clock, no globals, so
// the HTTP handler decides how big a body may be and what to answer.
//
// The signature schemes, field names and status vocabularies are the
// providers' own; docs/events.md lists how their statuses map to Shipwatch
// statuses and how events are deduplicated.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The header names the providers put their body signature in.
const (
	// EasyPostSignatureHeader carries "hmac-sha256-hex=<hex>".
	EasyPostSignatureHeader = "X-Hmac-Signature"
	// AfterShipSignatureHeader carries the base64 HMAC-SHA256 of the body.
	AfterShipSignatureHeader = "Aftership-Hmac-Sha256"
)

// easyPostSignaturePrefix precedes the hex digest in EasyPost's header.
const easyPostSignaturePrefix = "hmac-sha256-hex="

// Sentinel errors of signature verification, checked with errors.Is.
var (
	// ErrMissingSignature means the request carries no signature header
	// (or an empty one): it was not sent by the provider, or the seller has
	// not set a secret at the provider.
	ErrMissingSignature = errors.New("webhook: missing signature")
	// ErrBadSignature means a signature is present but malformed or does
	// not match the body under the source's secret.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrNoSecret means the tracking source has no secret configured, so
	// nothing can be verified: a configuration fault on our side, not the
	// sender's.
	ErrNoSecret = errors.New("webhook: no secret configured")
)

// VerifyEasyPost checks EasyPost's X-Hmac-Signature header against body,
// the raw request bytes as received. EasyPost keys the HMAC-SHA256 with the
// webhook secret after Unicode NFKD normalisation, so a secret typed with
// precomposed accents still matches. The comparison is constant-time.
func VerifyEasyPost(body []byte, header http.Header, secret string) error {
	if secret == "" {
		return ErrNoSecret
	}
	value := strings.TrimSpace(header.Get(EasyPostSignatureHeader))
	if value == "" {
		return ErrMissingSignature
	}
	if len(value) < len(easyPostSignaturePrefix) ||
		!strings.EqualFold(value[:len(easyPostSignaturePrefix)], easyPostSignaturePrefix) {
		return fmt.Errorf("%w: want %s<hex>", ErrBadSignature, easyPostSignaturePrefix)
	}
	got, err := hex.DecodeString(value[len(easyPostSignaturePrefix):])
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	want := sum([]byte(norm.NFKD.String(secret)), body)
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	return nil
}

// VerifyAfterShip checks AfterShip's aftership-hmac-sha256 header, the
// base64 HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes.
// The comparison is constant-time.
func VerifyAfterShip(body []byte, header http.Header, secret string) error {
	if secret == "" {
		return ErrNoSecret
	}
	value := strings.TrimSpace(header.Get(AfterShipSignatureHeader))
	if value == "" {
		return ErrMissingSignature
	}
	got, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		// Some proxies strip the padding; the digest is still the digest.
		if got, err = base64.RawStdEncoding.DecodeString(value); err != nil {
			return fmt.Errorf("%w: not base64", ErrBadSignature)
		}
	}
	if !hmac.Equal(got, sum([]byte(secret), body)) {
		return ErrBadSignature
	}
	return nil
}

func sum(key, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return mac.Sum(nil)
}
