package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// scalarInput turns fuzzed values into what gqlgen hands a scalar's
// unmarshaler: JSON variables decode to strings, json.Number, bools,
// lists and maps; literals to strings, int64 and float64.
func scalarInput(kind uint8, s string, n int64, f float64) any {
	switch kind % 7 {
	case 0:
		return s
	case 1:
		return json.Number(s)
	case 2:
		return n
	case 3:
		return f
	case 4:
		return []any{s, n}
	case 5:
		return map[string]any{s: f}
	}
	return nil
}

// checkScalarError fails unless err is a short *ScalarError.
func checkScalarError(t *testing.T, v any, err error) {
	t.Helper()
	var se *ScalarError
	if !errors.As(err, &se) {
		t.Fatalf("unmarshal(%#v) error = %v, want a *ScalarError", v, err)
	}
	if len(se.Message) > 400 {
		t.Fatalf("unmarshal(%#v) error is %d bytes", v, len(se.Message))
	}
}

func FuzzUnmarshalTime(f *testing.F) {
	f.Add(uint8(0), "2026-11-21T14:05:00Z", int64(0), 0.0)
	f.Add(uint8(0), "2026-11-21T14:05:00.123456789+02:00", int64(0), 0.0)
	f.Add(uint8(0), "2026-11-21 14:05", int64(0), 0.0)
	f.Add(uint8(2), "", int64(1732197900), 0.0)
	f.Fuzz(func(t *testing.T, kind uint8, s string, n int64, fl float64) {
		v := scalarInput(kind, s, n, fl)
		got, err := UnmarshalTime(v)
		if err != nil {
			checkScalarError(t, v, err)
			return
		}
		var buf bytes.Buffer
		MarshalTime(got).MarshalGQL(&buf)
		var text string
		if err := json.Unmarshal(buf.Bytes(), &text); err != nil {
			t.Fatalf("MarshalTime(%v) = %s, not a JSON string", got, buf.String())
		}
		again, err := UnmarshalTime(text)
		if err != nil || !again.Equal(got) {
			t.Fatalf("UnmarshalTime(MarshalTime(%v)) = %v, %v", got, again, err)
		}
	})
}

func FuzzUnmarshalDecimal(f *testing.F) {
	f.Add(uint8(0), "49.99", int64(0), 0.0)
	f.Add(uint8(1), "1e400", int64(0), 0.0)
	f.Add(uint8(2), "", int64(-5), 0.0)
	f.Add(uint8(3), "", int64(0), 0.1)
	f.Fuzz(func(t *testing.T, kind uint8, s string, n int64, fl float64) {
		v := scalarInput(kind, s, n, fl)
		got, err := UnmarshalDecimal(v)
		if err != nil {
			checkScalarError(t, v, err)
			return
		}
		if str, ok := v.(string); ok && string(got) != str {
			t.Fatalf("UnmarshalDecimal(%q) = %q, want the text as sent", str, got)
		}
		var buf bytes.Buffer
		MarshalDecimal(got).MarshalGQL(&buf)
		var text string
		if err := json.Unmarshal(buf.Bytes(), &text); err != nil || (utf8.ValidString(string(got)) && text != string(got)) {
			t.Fatalf("MarshalDecimal(%q) = %s", got, buf.String())
		}
	})
}
