package keyring

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, text, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal([]byte("s\u00e9cret"), []byte("row 1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("cret")) {
		t.Errorf("Seal() = %x, contains the plaintext", sealed)
	}
	again, _ := k.Seal([]byte("s\u00e9cret"), []byte("row 1"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := k.Open(sealed, []byte("row 1"))
	if err != nil || string(got) != "s\u00e9cret" {
		t.Errorf("Open() = %q, %v; want the secret back", got, err)
	}
	same, err := Parse(text)
	if err != nil || same.ID() != k.ID() {
		t.Fatalf("Parse(Generate text) = %v, %v; want the same key", same, err)
	}
	if got, err := same.Open(sealed, []byte("row 1")); err != nil || string(got) != "s\u00e9cret" {
		t.Errorf("Open() with the parsed key = %q, %v", got, err)
	}

	other, _, _ := Generate()
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another key":     func() ([]byte, error) { return other.Open(sealed, []byte("row 1")) },
		"another context": func() ([]byte, error) { return k.Open(sealed, []byte("row 2")) },
		"altered":         func() ([]byte, error) { return k.Open(tampered, []byte("row 1")) },
		"truncated":       func() ([]byte, error) { return k.Open(sealed[:10], []byte("row 1")) },
	} {
		if _, err := open(); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open() with %s = %v, want ErrDecrypt", name, err)
		}
	}
	if other.ID() == k.ID() || len(k.ID()) != 16 || strings.Contains(text, k.ID()) {
		t.Errorf("IDs %q and %q: want distinct 16-digit ids unrelated to the key text", k.ID(), other.ID())
	}
}

func TestParseRefusesBadKeys(t *testing.T) {
	for _, s := range []string{"", "not base64!", "c2hvcnQ=", strings.Repeat("A", 60)} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = nil error, want one", s)
		}
	}
}

func TestLoadFileCreatesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "shipwatch", "secret.key")
	k1, created, err := LoadFile(path)
	if err != nil || !created {
		t.Fatalf("LoadFile() = %v, created %v; want a new key", err, created)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", info.Mode(), err)
	}
	k2, created, err := LoadFile(path)
	if err != nil || created || k2.ID() != k1.ID() {
		t.Errorf("LoadFile() again = %v, created %v, same key %v; want the same key read back", err, created, k2.ID() == k1.ID())
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadFile(garbage) = %v, want an error naming the file", err)
	}
}
