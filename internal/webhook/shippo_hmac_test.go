package webhook

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Shippo HMAC vectors below were computed outside Go, from the
// construction in docs/events.md (Signatures):
//
//	printf '%s.' 1796601600 | cat - testdata/shippo-track-updated.json |
//	    openssl dgst -sha256 -hmac 'shippo-hmac-secret'
//
// and the same with the short body shippoShortBody.
const (
	shippoVectorSecret = "shippo-hmac-secret"
	shippoVectorTime   = 1796601600 // 2026-12-07T00:00:00Z
	shippoVectorHMAC   = "23a8d660b5c10f35e9873e3a4167cafbd83e2995c8ea9a57b23e3d650810b12b"
	shippoShortBody    = `{"event":"track_updated","data":{"tracking_number":"SHIPPO_TRANSIT"}}`
	shippoShortHMAC    = "291fffedcf4f76d7a6f2834aea45c841d4e17f6e019e5c3b5707e99a67460b19"
)

func TestShippoSignMatchesVectors(t *testing.T) {
	body := readFixture(t, "shippo-track-updated.json")
	if got, want := ShippoSign(body, shippoVectorSecret, shippoVectorTime), "t=1796601600,v1="+shippoVectorHMAC; got != want {
		t.Errorf("ShippoSign(fixture) = %q, want %q", got, want)
	}
	if got, want := ShippoSign([]byte(shippoShortBody), shippoVectorSecret, shippoVectorTime), "t=1796601600,v1="+shippoShortHMAC; got != want {
		t.Errorf("ShippoSign(short) = %q, want %q", got, want)
	}
}

func TestVerifyShippo(t *testing.T) {
	body := readFixture(t, "shippo-track-updated.json")
	at := time.Unix(shippoVectorTime, 0)
	good := "t=1796601600,v1=" + shippoVectorHMAC
	tampered := bytes.Replace(body, []byte("TRANSIT"), []byte("TRANSIS"), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("the fixture has no TRANSIT to tamper with")
	}
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		secret string
		now    time.Time
		want   error
	}{
		{"vector", body, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at, nil},
		{"upper-case hex", body, headerWith(ShippoSignatureHeader, "t=1796601600,v1="+strings.ToUpper(shippoVectorHMAC)), shippoVectorSecret, at, nil},
		{"spaces and fields in another order", body, headerWith(ShippoSignatureHeader, " v1="+shippoVectorHMAC+" , t=1796601600 "), shippoVectorSecret, at, nil},
		{"a second v1 of a rotated secret", body, headerWith(ShippoSignatureHeader, good+",v1="+shippoShortHMAC), shippoVectorSecret, at, nil},
		{"an unknown field is ignored", body, headerWith(ShippoSignatureHeader, good+",v0=abc"), shippoVectorSecret, at, nil},
		{"Shippo-Signature when Shippo-Auth-Signature is absent", body, headerWith("Shippo-Signature", good), shippoVectorSecret, at, nil},
		{"4 minutes late", body, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at.Add(4 * time.Minute), nil},
		{"4 minutes early", body, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at.Add(-4 * time.Minute), nil},
		{"wrong secret", body, headerWith(ShippoSignatureHeader, good), "shippo-hmac-secreT", at, ErrBadSignature},
		{"tampered body", tampered, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at, ErrBadSignature},
		{"body with a final newline removed", bytes.TrimSuffix(body, []byte("\n")), headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at, ErrBadSignature},
		{"timestamp changed", body, headerWith(ShippoSignatureHeader, "t=1796601601,v1="+shippoVectorHMAC), shippoVectorSecret, at, ErrBadSignature},
		{"HMAC of the body alone", body, headerWith(ShippoSignatureHeader, "t=1796601600,v1="+hexOf(sum([]byte(shippoVectorSecret), body))), shippoVectorSecret, at, ErrBadSignature},
		{"stale: 6 minutes old", body, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at.Add(6 * time.Minute), ErrStaleSignature},
		{"stale: 6 minutes ahead", body, headerWith(ShippoSignatureHeader, good), shippoVectorSecret, at.Add(-6 * time.Minute), ErrStaleSignature},
		{"missing header", body, http.Header{}, shippoVectorSecret, at, ErrMissingSignature},
		{"blank header", body, headerWith(ShippoSignatureHeader, "  "), shippoVectorSecret, at, ErrMissingSignature},
		{"no t", body, headerWith(ShippoSignatureHeader, "v1="+shippoVectorHMAC), shippoVectorSecret, at, ErrBadSignature},
		{"no v1", body, headerWith(ShippoSignatureHeader, "t=1796601600"), shippoVectorSecret, at, ErrBadSignature},
		{"t twice", body, headerWith(ShippoSignatureHeader, "t=1796601600,t=1796601600,v1="+shippoVectorHMAC), shippoVectorSecret, at, ErrBadSignature},
		{"t in milliseconds", body, headerWith(ShippoSignatureHeader, "t=1796601600000,v1="+shippoVectorHMAC), shippoVectorSecret, at, ErrStaleSignature},
		{"t not a number", body, headerWith(ShippoSignatureHeader, "t=2026-12-07,v1="+shippoVectorHMAC), shippoVectorSecret, at, ErrBadSignature},
		{"v1 not hex", body, headerWith(ShippoSignatureHeader, "t=1796601600,v1=zz"), shippoVectorSecret, at, ErrBadSignature},
		{"v1 short", body, headerWith(ShippoSignatureHeader, "t=1796601600,v1="+shippoVectorHMAC[:62]), shippoVectorSecret, at, ErrBadSignature},
		{"bare hex, no fields", body, headerWith(ShippoSignatureHeader, shippoVectorHMAC), shippoVectorSecret, at, ErrBadSignature},
		{"huge header", body, headerWith(ShippoSignatureHeader, good+strings.Repeat(",x=y", 400)), shippoVectorSecret, at, ErrBadSignature},
		{"no secret", body, headerWith(ShippoSignatureHeader, good), "", at, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyShippo(tt.body, tt.header, tt.secret, tt.now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("VerifyShippo() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestShippoStaleIsBadSignature: a stale signature is refused like any
// bad one by callers that only know ErrBadSignature.
func TestShippoStaleIsBadSignature(t *testing.T) {
	if !errors.Is(ErrStaleSignature, ErrBadSignature) {
		t.Error("ErrStaleSignature is not an ErrBadSignature")
	}
}

func FuzzVerifyShippo(f *testing.F) {
	f.Add("t=1796601600,v1="+shippoVectorHMAC, []byte(shippoShortBody))
	f.Add("t=,v1=", []byte(""))
	f.Add("v1=00,t=-1,,", []byte("{}"))
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		h := http.Header{}
		h.Set(ShippoSignatureHeader, value)
		err := VerifyShippo(body, h, shippoVectorSecret, time.Unix(shippoVectorTime, 0))
		if err == nil && value != ShippoSign(body, shippoVectorSecret, shippoVectorTime) {
			// Accepted: it must carry the right HMAC for its own t.
			tt, sigs, perr := parseShippoSignature(strings.TrimSpace(value))
			if perr != nil {
				t.Fatalf("accepted %q that does not parse: %v", value, perr)
			}
			want := hexOf(shippoMAC([]byte(shippoVectorSecret), tt, body))
			found := false
			for _, s := range sigs {
				found = found || strings.EqualFold(s, want)
			}
			if !found {
				t.Fatalf("accepted %q without the body's HMAC", value)
			}
		}
	})
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }
