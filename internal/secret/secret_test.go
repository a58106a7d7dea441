package secret

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, err := ParseKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(key, []byte("swsec_abc"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("swsec_abc")) {
		t.Fatalf("Seal() = %q contains the plaintext", sealed)
	}
	got, err := Open(key, sealed)
	if err != nil || string(got) != "swsec_abc" {
		t.Fatalf("Open(Seal(x)) = %q, %v; want x", got, err)
	}
	again, _ := Seal(key, []byte("swsec_abc"))
	if bytes.Equal(again, sealed) {
		t.Errorf("Seal() twice gave the same bytes: the nonce is not random")
	}
	for name, bad := range map[string][]byte{
		"altered":   append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1),
		"truncated": sealed[:10],
		"version":   append([]byte{9}, sealed[1:]...),
	} {
		if _, err := Open(key, bad); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%s) error = %v, want ErrOpen", name, err)
		}
	}
	if _, err := Open(DevKey, sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("Open(other key) error = %v, want ErrOpen", err)
	}
}

func TestParseKey(t *testing.T) {
	for _, s := range []string{
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	} {
		if k, err := ParseKey(s); err != nil || len(k) != KeySize || k[31] != 0x1f {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "short", "0001", "zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) error = nil, want one", s)
		}
	}
}
