package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// agree checks that the one-pass parse, when it accepts a body, gives
// exactly what the step-by-step parse gives. Bodies with a repeated key
// are left out: encoding/json merges a repeated object into the first
// one, where the step-by-step parse keeps only the last; providers do
// not send them.
func agree(t *testing.T, body []byte, whole func([]byte) (Payload, bool), steps func([]byte) (Payload, error)) {
	t.Helper()
	fast, ok := whole(body)
	if !ok || repeatsKey(body) {
		return
	}
	slow, err := steps(body)
	if err != nil {
		t.Fatalf("one pass accepted %q, steps refused it: %v", body, err)
	}
	if diff := cmp.Diff(slow, fast); diff != "" {
		t.Fatalf("parses of %q differ (-steps +one pass):\n%s", body, diff)
	}
}

func TestWholeParseAgrees(t *testing.T) {
	for _, name := range []string{"easypost-tracker-updated-fixture.json", "easypost-tracking-guide-webhook.json"} {
		body := readFixture(t, name)
		if _, ok := parseEasyPostWhole(body); !ok {
			t.Errorf("%s: the one-pass parse refused a provider sample", name)
		}
		agree(t, body, parseEasyPostWhole, parseEasyPostSteps)
	}
	for _, name := range []string{"aftership-tracking-update-legacy-full.json", "aftership-tracking-update-trimmed-2026-07.json"} {
		body := readFixture(t, name)
		if _, ok := parseAfterShipWhole(body); !ok {
			t.Errorf("%s: the one-pass parse refused a provider sample", name)
		}
		agree(t, body, parseAfterShipWhole, parseAfterShipSteps)
	}
	for _, s := range fuzzSeeds {
		agree(t, []byte(s), parseEasyPostWhole, parseEasyPostSteps)
		agree(t, []byte(s), parseAfterShipWhole, parseAfterShipSteps)
	}
}

func FuzzWholeParseAgrees(f *testing.F) {
	f.Add(readFixture(f, "easypost-tracking-guide-webhook.json"))
	f.Add(readFixture(f, "aftership-tracking-update-legacy-full.json"))
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		agree(t, body, parseEasyPostWhole, parseEasyPostSteps)
		agree(t, body, parseAfterShipWhole, parseAfterShipSteps)
	})
}

// repeatsKey reports whether any JSON object in body has a key twice
// (compared case-insensitively, as encoding/json matches field names).
func repeatsKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func() (bool, error)
	walk = func() (bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return false, err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return false, err
				}
				key := string(bytes.ToLower([]byte(k.(string))))
				if seen[key] {
					return true, nil
				}
				seen[key] = true
				if rep, err := walk(); rep || err != nil {
					return rep, err
				}
			}
			_, err := dec.Token()
			return false, err
		case json.Delim('['):
			for dec.More() {
				if rep, err := walk(); rep || err != nil {
					return rep, err
				}
			}
			_, err := dec.Token()
			return false, err
		}
		return false, nil
	}
	rep, err := walk()
	return rep || (err != nil && !errors.Is(err, io.EOF))
}

func BenchmarkParseEasyPost(b *testing.B) {
	body := readFixture(b, "easypost-tracking-guide-webhook.json")
	b.Run("one pass", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseEasyPost(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("steps", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseEasyPostSteps(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
