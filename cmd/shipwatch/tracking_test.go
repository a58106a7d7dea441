package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// trackingLine is the part of an output line the tests look at.
type trackingLine struct {
	Input       string   `json:"input"`
	Normalized  string   `json:"normalized"`
	Valid       bool     `json:"valid"`
	Carrier     string   `json:"carrier"`
	Format      string   `json:"format"`
	Reason      string   `json:"reason"`
	Suggestions []string `json:"suggestions"`
	TrackingURL string   `json:"trackingUrl"`
}

// runTrackingLines runs the command on stdin and parses its output lines.
func runTrackingLines(t *testing.T, stdin string, args ...string) (code int, lines []map[string]any, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runTrackingCheck(args, strings.NewReader(stdin), &out, &errOut)
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	return code, lines, errOut.String()
}

func TestTrackingCheck(t *testing.T) {
	in := "1Z12345E0205271686\r\n 9400 1119 9999 1234 5678 96\n\n1Z12345E0205271687\nnot a number\nRR123456785XX"
	var out, errOut bytes.Buffer
	if code := runTrackingCheck(nil, strings.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("runTrackingCheck = %d (stderr %q), want 0", code, errOut.String())
	}
	var got []trackingLine
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var tl trackingLine
		if err := json.Unmarshal([]byte(l), &tl); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		got = append(got, tl)
	}
	want := []trackingLine{
		{Input: "1Z12345E0205271686", Normalized: "1Z12345E0205271686", Valid: true, Carrier: "ups", Format: "ups_1z",
			Suggestions: []string{}, TrackingURL: "https://www.ups.com/track?tracknum=1Z12345E0205271686"},
		{Input: " 9400 1119 9999 1234 5678 96", Normalized: "9400111999991234567896", Valid: true, Carrier: "usps", Format: "usps_impb",
			Suggestions: []string{}, TrackingURL: "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111999991234567896"},
		{Reason: "UNKNOWN_FORMAT", Suggestions: []string{}},
		{Input: "1Z12345E0205271687", Normalized: "1Z12345E0205271687", Carrier: "ups", Format: "ups_1z", Reason: "CHECK_DIGIT_MISMATCH",
			Suggestions: []string{"1Z12345E0205271686", "1Z12245E0205271687", "1Z12344E0205271687", "1Z12345E0205171687", "1Z12345E0205271677"}},
		{Input: "not a number", Normalized: "NOTANUMBER", Reason: "UNKNOWN_FORMAT", Suggestions: []string{}},
		{Input: "RR123456785XX", Normalized: "RR123456785XX", Format: "upu_s10", Reason: "UNKNOWN_COUNTRY", Suggestions: []string{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runTrackingCheck output mismatch (-want +got):\n%s", diff)
	}
}

func TestTrackingCheckKeys(t *testing.T) {
	_, lines, _ := runTrackingLines(t, "9205591234567812345674\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	for _, key := range []string{"input", "normalized", "valid", "carrier", "format", "reason", "candidates", "suggestions", "trackingUrl"} {
		if _, ok := lines[0][key]; !ok {
			t.Errorf("output lacks key %q: %v", key, lines[0])
		}
	}
}

func TestTrackingCheckCarrier(t *testing.T) {
	tests := []struct {
		args        []string
		number      string
		valid       bool
		carrier     string
		reason      string
		trackingURL string
	}{
		{[]string{"--carrier", "fedex"}, "1Z12345E0205271686", false, "ups", "CARRIER_MISMATCH", "https://www.ups.com/track?tracknum=1Z12345E0205271686"},
		{[]string{"--carrier=FedEx SmartPost"}, "9205591234567812345674", true, "fedex", "", "https://www.fedex.com/fedextrack/?trknbr=9205591234567812345674"},
		{[]string{"-carrier", "United States Postal Service"}, "RR123456785CN", true, "usps", "", "https://tools.usps.com/go/TrackConfirmAction?tLabels=RR123456785CN"},
		{[]string{"--carrier", "dhl"}, "GM60511234500000001", true, "dhl", "", "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?submit=1&tracking-id=GM60511234500000001"},
	}
	for _, tt := range tests {
		code, lines, stderr := runTrackingLines(t, tt.number+"\n", tt.args...)
		if code != 0 || len(lines) != 1 {
			t.Fatalf("runTrackingCheck(%q) = %d, %d lines (stderr %q), want 0, 1 line", tt.args, code, len(lines), stderr)
		}
		l := lines[0]
		if l["valid"] != tt.valid || l["carrier"] != tt.carrier || l["reason"] != tt.reason || l["trackingUrl"] != tt.trackingURL {
			t.Errorf("runTrackingCheck(%q) on %s = %v, want valid %v carrier %q reason %q url %q",
				tt.args, tt.number, l, tt.valid, tt.carrier, tt.reason, tt.trackingURL)
		}
	}
}

func TestTrackingCheckRawAmpersand(t *testing.T) {
	var out, errOut bytes.Buffer
	runTrackingCheck(nil, strings.NewReader("GM60511234500000001\n"), &out, &errOut)
	if !strings.Contains(out.String(), "?submit=1&tracking-id=") {
		t.Errorf("output escapes the URL's ampersand: %s", out.String())
	}
}

func TestTrackingCheckUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"--carrier", "pony express"}, 2, `unknown carrier "pony express"`},
		{[]string{"--carrier"}, 2, "flag needs an argument"},
		{[]string{"--bogus"}, 2, "flag provided but not defined"},
		{[]string{"1Z12345E0205271686"}, 2, "numbers are read from standard input"},
		{[]string{"--help"}, 0, "Usage: shipwatch tracking check"},
		{[]string{"-h"}, 0, "--carrier declares the carrier"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := runTrackingCheck(tt.args, strings.NewReader("1Z12345E0205271686\n"), &out, &errOut)
		if code != tt.code || !strings.Contains(errOut.String(), tt.inStderr) {
			t.Errorf("runTrackingCheck(%q) = %d, stderr %q; want %d and %q in stderr", tt.args, code, errOut.String(), tt.code, tt.inStderr)
		}
		if tt.code == 2 && out.Len() > 0 {
			t.Errorf("runTrackingCheck(%q) wrote %q on bad usage, want nothing", tt.args, out.String())
		}
	}
	// The unknown-carrier message is one line.
	var out, errOut bytes.Buffer
	runTrackingCheck([]string{"--carrier", "nope"}, strings.NewReader(""), &out, &errOut)
	if n := strings.Count(errOut.String(), "\n"); n != 1 {
		t.Errorf("unknown carrier message has %d lines, want 1: %q", n, errOut.String())
	}
}

func TestTrackingCheckEmptyInput(t *testing.T) {
	code, lines, _ := runTrackingLines(t, "")
	if code != 0 || len(lines) != 0 {
		t.Errorf("runTrackingCheck on empty input = %d, %d lines, want 0, none", code, len(lines))
	}
}

// trackingBrokenWriter fails every write.
type trackingBrokenWriter struct{}

func (trackingBrokenWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTrackingCheckWriteError(t *testing.T) {
	var errOut bytes.Buffer
	code := runTrackingCheck(nil, strings.NewReader("1Z12345E0205271686\n"), trackingBrokenWriter{}, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "disk full") {
		t.Errorf("runTrackingCheck to a failing writer = %d, stderr %q; want 1 and the error", code, errOut.String())
	}
}

// trackingBrokenReader fails after its first line.
type trackingBrokenReader struct{ done bool }

func (r *trackingBrokenReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, errors.New("connection reset")
	}
	r.done = true
	return copy(p, "1Z12345E0205271686\n"), nil
}

func TestTrackingCheckReadError(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runTrackingCheck(nil, &trackingBrokenReader{}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "connection reset") {
		t.Errorf("runTrackingCheck from a failing reader = %d, stderr %q; want 1 and the error", code, errOut.String())
	}
}

func TestTrackingCheckLongLine(t *testing.T) {
	long := strings.Repeat("9", 200_000)
	code, lines, _ := runTrackingLines(t, long+"\n1Z12345E0205271686\n")
	if code != 0 || len(lines) != 2 || lines[0]["reason"] != "UNKNOWN_FORMAT" || lines[1]["valid"] != true {
		t.Errorf("runTrackingCheck with a 200k line = %d, %d lines, want 0 and both lines answered", code, len(lines))
	}
}
