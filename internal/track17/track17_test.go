package track17_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/track17"
	"github.com/shipwatch/shipwatch/internal/track17/track17test"
)

func TestRegister(t *testing.T) {
	fake := track17test.New("key-1", nil)
	defer fake.Close()
	fake.Invalid("BAD1")
	fake.Preregister("OLD1")
	c := track17.New(fake.URL(), nil)
	res, err := c.Register(context.Background(), "key-1", []string{"NEW1", "BAD1", "OLD1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted) != 1 || res.Accepted[0] != "NEW1" {
		t.Errorf("Accepted = %v, want [NEW1]", res.Accepted)
	}
	codes := map[string]int{}
	for _, r := range res.Rejected {
		codes[r.Number] = r.Code
		if r.Message == "" {
			t.Errorf("rejection of %s has no message", r.Number)
		}
	}
	if codes["BAD1"] != track17test.CodeInvalidNumber || codes["OLD1"] != track17.CodeAlreadyRegistered {
		t.Errorf("rejections = %v", codes)
	}
	calls := fake.Calls()
	if len(calls) != 1 || fmt.Sprint(calls[0].Numbers) != "[NEW1 BAD1 OLD1]" {
		t.Errorf("fake received %v", calls)
	}
}

func TestRegisterRefused(t *testing.T) {
	// A clock that stands still: every call is in the same second.
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	fake := track17test.New("key-1", func() time.Time { return at })
	defer fake.Close()
	c := track17.New(fake.URL(), nil)
	_, err := c.Register(context.Background(), "wrong", []string{"NEW1"})
	var apiErr *track17.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != track17test.CodeBadToken || apiErr.Retryable() {
		t.Errorf("Register(wrong key) = %v, want a non-retryable 401 with 17TRACK's code", err)
	}
	if _, err := c.Register(context.Background(), "key-1", make([]string, 41)); err == nil {
		t.Error("Register(41 numbers) = nil, want an error before any call")
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Register(context.Background(), "key-1", []string{fmt.Sprint("N", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.Register(context.Background(), "key-1", []string{"N9"})
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() || !apiErr.Retryable() || apiErr.RetryAfter.Seconds() != 1 {
		t.Errorf("fourth call in a second = %v, want a 429 with Retry-After 1", err)
	}
	unreachable := track17.New("http://127.0.0.1:1", nil)
	if _, err := unreachable.Register(context.Background(), "key-1", []string{"N1"}); !errors.As(err, &apiErr) || !apiErr.Retryable() {
		t.Errorf("Register(nothing listening) = %v, want a retryable *Error", err)
	}
}
