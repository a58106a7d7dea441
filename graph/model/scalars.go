package model

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// ScalarError is a malformed scalar value in the input; the presenter
// names the field it came in.
type ScalarError struct{ Message string }

func (e *ScalarError) Error() string { return e.Message }

// MarshalTime writes a time as RFC 3339 with nanoseconds, in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano))) //nolint:errcheck // gqlgen's writer
	})
}

// UnmarshalTime reads an RFC 3339 time; a value without a zone is refused
// rather than guessed.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &ScalarError{clip.Quote(fmt.Sprint(v)) + " is not a time: send an RFC 3339 string such as 2026-11-21T14:05:00Z"}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &ScalarError{clip.Quote(s) + " is not an RFC 3339 time such as 2026-11-21T14:05:00Z"}
	}
	return t, nil
}
