package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// readFixture returns a provider sample byte-exactly.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// The README's official EasyPost vector: the fixture without its final
// newline, the secret "sécret" with a precomposed é.
const (
	easyPostVectorSecret    = "s\u00e9cret"
	easyPostVectorSignature = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
)

func easyPostVectorBody(t testing.TB) []byte {
	b := readFixture(t, "easypost-tracker-updated-fixture.json")
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Fatal("fixture lost its final newline")
	}
	return b[:len(b)-1]
}

func headerWith(name, value string) http.Header {
	h := http.Header{}
	if value != "" {
		h.Set(name, value)
	}
	return h
}

func TestVerifyEasyPost(t *testing.T) {
	body := easyPostVectorBody(t)
	withNewline := append(bytes.Clone(body), '\n')
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		secret string
		want   error
	}{
		{"official vector", body, headerWith(EasyPostSignatureHeader, easyPostVectorSignature), easyPostVectorSecret, nil},
		{"decomposed secret is the same key", body, headerWith(EasyPostSignatureHeader, easyPostVectorSignature), "se\u0301cret", nil},
		{"upper-case hex", body, headerWith(EasyPostSignatureHeader, "hmac-sha256-hex=38F3F53C103713DF81616A0A186D77141957323EC21D5FE9363DB93840F527DB"), easyPostVectorSecret, nil},
		{"body with final newline", withNewline, headerWith(EasyPostSignatureHeader, easyPostVectorSignature), easyPostVectorSecret, ErrBadSignature},
		{"wrong secret", body, headerWith(EasyPostSignatureHeader, easyPostVectorSignature), "secret", ErrBadSignature},
		{"no header", body, http.Header{}, easyPostVectorSecret, ErrMissingSignature},
		{"empty header", body, http.Header{EasyPostSignatureHeader: {"  "}}, easyPostVectorSecret, ErrMissingSignature},
		{"no prefix", body, headerWith(EasyPostSignatureHeader, "38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"), easyPostVectorSecret, ErrBadSignature},
		{"not hex", body, headerWith(EasyPostSignatureHeader, "hmac-sha256-hex=zz"), easyPostVectorSecret, ErrBadSignature},
		{"truncated digest", body, headerWith(EasyPostSignatureHeader, easyPostVectorSignature[:40]), easyPostVectorSecret, ErrBadSignature},
		{"no secret configured", body, headerWith(EasyPostSignatureHeader, easyPostVectorSignature), "", ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyEasyPost(tt.body, tt.header, tt.secret)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifyEasyPost() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyAfterShip(t *testing.T) {
	legacy := readFixture(t, "aftership-tracking-update-legacy-full.json")
	trimmed := readFixture(t, "aftership-tracking-update-trimmed-2026-07.json")
	// Vectors computed outside Go over the fixture bytes.
	const (
		legacySig  = "3WRTFNcBWwapG8VrOVxKJLuxhT0fBK+Offeuneoos2s="
		trimmedSig = "3PqxDef81/RK2tf0LIXyifIyPpIYEPQ1/blO/d9xGvU="
	)
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		secret string
		want   error
	}{
		{"legacy vector", legacy, headerWith(AfterShipSignatureHeader, legacySig), "shipwatch-test-secret", nil},
		{"header name as AfterShip writes it", legacy, func() http.Header {
			h := http.Header{}
			h.Set("aftership-hmac-sha256", legacySig)
			return h
		}(), "shipwatch-test-secret", nil},
		{"unpadded base64", legacy, headerWith(AfterShipSignatureHeader, legacySig[:len(legacySig)-1]), "shipwatch-test-secret", nil},
		{"utf-8 secret is not normalised", trimmed, headerWith(AfterShipSignatureHeader, trimmedSig), "s\u00e9cret", nil},
		{"decomposed secret is another key", trimmed, headerWith(AfterShipSignatureHeader, trimmedSig), "se\u0301cret", ErrBadSignature},
		{"tampered body", append(bytes.Clone(legacy), ' '), headerWith(AfterShipSignatureHeader, legacySig), "shipwatch-test-secret", ErrBadSignature},
		{"wrong secret", legacy, headerWith(AfterShipSignatureHeader, legacySig), "other", ErrBadSignature},
		{"not base64", legacy, headerWith(AfterShipSignatureHeader, "***"), "shipwatch-test-secret", ErrBadSignature},
		{"no header", legacy, http.Header{}, "shipwatch-test-secret", ErrMissingSignature},
		{"easypost header only", legacy, headerWith(EasyPostSignatureHeader, legacySig), "shipwatch-test-secret", ErrMissingSignature},
		{"no secret configured", legacy, headerWith(AfterShipSignatureHeader, legacySig), "", ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyAfterShip(tt.body, tt.header, tt.secret)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifyAfterShip() = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkVerifyEasyPost(b *testing.B) {
	body := easyPostVectorBody(b)
	h := headerWith(EasyPostSignatureHeader, easyPostVectorSignature)
	for b.Loop() {
		if err := VerifyEasyPost(body, h, easyPostVectorSecret); err != nil {
			b.Fatal(err)
		}
	}
}
