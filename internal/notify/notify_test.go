package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"x","type":"flag.raised"}`)
	at := time.Unix(1790000000, 0)
	h := Sign("swsec_test", at, body)

	// The documented construction, computed independently.
	m := hmac.New(sha256.New, []byte("swsec_test"))
	m.Write([]byte("1790000000." + string(body)))
	if want := "t=1790000000,v1=" + hex.EncodeToString(m.Sum(nil)); h != want {
		t.Fatalf("Sign() = %q, want %q", h, want)
	}
	if err := Verify("swsec_test", h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify(own signature) = %v", err)
	}
	tests := []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		want                 error
	}{
		{"other secret", "swsec_other", h, body, at, ErrBadSignature},
		{"altered body", "swsec_test", h, []byte(`{"id":"y"}`), at, ErrBadSignature},
		{"replayed later", "swsec_test", h, body, at.Add(6 * time.Minute), ErrTooOld},
		{"from the future", "swsec_test", h, body, at.Add(-6 * time.Minute), ErrTooOld},
		{"malformed", "swsec_test", "v1=zz", body, at, ErrBadSignature},
		{"empty", "swsec_test", "", body, at, ErrBadSignature},
	}
	for _, tt := range tests {
		if err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute); !errors.Is(err, tt.want) {
			t.Errorf("Verify(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if a, b := NewID(), NewID(); !re.MatchString(a) || a == b {
		t.Errorf("NewID() = %q, %q; want two different v4 UUIDs", a, b)
	}
}
