package ingest

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on machines without a zoneinfo database
)

func TestParseTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	for _, tc := range []struct {
		in   string
		loc  *time.Location
		end  dayEnd
		want string // RFC 3339 in UTC; "" for not a date
	}{
		// Date only: the start of the day, or its last microsecond for promises.
		{"2026-11-21", time.UTC, startOfDay, "2026-11-21T00:00:00Z"},
		{"2026-11-21", time.UTC, endOfDay, "2026-11-21T23:59:59.999999Z"},
		{"11/21/2026", time.UTC, startOfDay, "2026-11-21T00:00:00Z"},
		{"1/5/2026", time.UTC, startOfDay, "2026-01-05T00:00:00Z"},
		{"2026-1-5", time.UTC, startOfDay, "2026-01-05T00:00:00Z"},
		{"2026-11-21", ny, startOfDay, "2026-11-21T05:00:00Z"},
		{"2026-11-21", ny, endOfDay, "2026-11-22T04:59:59.999999Z"},
		{"2026-07-04", ny, endOfDay, "2026-07-05T03:59:59.999999Z"}, // EDT
		{"2026-11-01", ny, endOfDay, "2026-11-02T04:59:59.999999Z"}, // a 25-hour day
		{"2028-02-29", time.UTC, startOfDay, "2028-02-29T00:00:00Z"},
		// Date and time without a zone: in the seller's zone.
		{"2026-11-21 14:05", time.UTC, endOfDay, "2026-11-21T14:05:00Z"},
		{"2026-11-21 14:05", ny, startOfDay, "2026-11-21T19:05:00Z"},
		{"2026-11-21T14:05:00", ny, startOfDay, "2026-11-21T19:05:00Z"},
		{"2026-11-21t14:05", time.UTC, startOfDay, "2026-11-21T14:05:00Z"},
		{"2026-11-21  9:05:07", time.UTC, startOfDay, "2026-11-21T09:05:07Z"},
		{"11/21/2026 2:05 PM", ny, startOfDay, "2026-11-21T19:05:00Z"},
		{"11/21/2026 2:05PM", time.UTC, startOfDay, "2026-11-21T14:05:00Z"},
		{"11/21/2026 12:05 am", time.UTC, startOfDay, "2026-11-21T00:05:00Z"},
		{"11/21/2026 12:05 PM", time.UTC, startOfDay, "2026-11-21T12:05:00Z"},
		{"11/21/2026 14:05:30", time.UTC, startOfDay, "2026-11-21T14:05:30Z"},
		{"2026-07-04 09:00", ny, startOfDay, "2026-07-04T13:00:00Z"},
		// A zone or offset of its own wins over the seller's zone.
		{"2026-11-21T14:05:00Z", ny, startOfDay, "2026-11-21T14:05:00Z"},
		{"2026-11-21T14:05:00z", ny, startOfDay, "2026-11-21T14:05:00Z"},
		{"2026-11-21T14:05:00+01:00", ny, startOfDay, "2026-11-21T13:05:00Z"},
		{"2026-11-21T14:05:00-0800", ny, startOfDay, "2026-11-21T22:05:00Z"},
		{"2026-11-21T14:05:00.250+05:30", ny, startOfDay, "2026-11-21T08:35:00.25Z"},
		{"2026-11-21T14:05:00.123456789Z", ny, startOfDay, "2026-11-21T14:05:00.123456789Z"},
		{"2026-11-21 14:05 +01", ny, startOfDay, "2026-11-21T13:05:00Z"},
		{"2026-11-21 14:05 UTC", ny, startOfDay, "2026-11-21T14:05:00Z"},
		{"2026-11-21 14:05 GMT+02:00", ny, startOfDay, "2026-11-21T12:05:00Z"},
		{"11/21/2026 2:05 PM -05:00", time.UTC, startOfDay, "2026-11-21T19:05:00Z"},
		// Not dates.
		{"31/31/2026", time.UTC, startOfDay, ""},
		{"21/11/2026", time.UTC, startOfDay, ""}, // day/month: month 21
		{"2026-02-29", time.UTC, startOfDay, ""},
		{"2026-04-31", time.UTC, startOfDay, ""},
		{"2026-13-01", time.UTC, startOfDay, ""},
		{"2026-00-10", time.UTC, startOfDay, ""},
		{"11/21/26", time.UTC, startOfDay, ""},
		{"20261121", time.UTC, startOfDay, ""},
		{"2026-11-21T", time.UTC, startOfDay, ""},
		{"2026-11-21T24:00", time.UTC, startOfDay, ""},
		{"2026-11-21T14:60", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:60", time.UTC, startOfDay, ""},
		{"2026-11-21T14", time.UTC, startOfDay, ""},
		{"11/21/2026 13:05 PM", time.UTC, startOfDay, ""},
		{"11/21/2026 0:05 AM", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:00+1", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:00+25:00", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:00 PST", time.UTC, startOfDay, ""},
		{"2026-11-21+01:00", time.UTC, startOfDay, ""},
		{"2026-11-21 tomorrow", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:00.", time.UTC, startOfDay, ""},
		{"2026-11-21T14:05:00.1234567890Z", time.UTC, startOfDay, ""},
		{"2026", time.UTC, startOfDay, ""},
		{"", time.UTC, startOfDay, ""},
	} {
		got, ok := parseTime([]byte(tc.in), tc.loc, tc.end)
		switch {
		case tc.want == "" && ok:
			t.Errorf("parseTime(%q) = %v, want not a date", tc.in, got)
		case tc.want != "" && !ok:
			t.Errorf("parseTime(%q, %v) is not a date, want %s", tc.in, tc.loc, tc.want)
		case tc.want != "" && got.Format(time.RFC3339Nano) != tc.want:
			t.Errorf("parseTime(%q, %v, %v) = %s, want %s", tc.in, tc.loc, tc.end, got.Format(time.RFC3339Nano), tc.want)
		}
	}
}

func TestSellerZone(t *testing.T) {
	// The seller's zone applies to dates without one; rows carry UTC.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	in := "order_id,tracking_number,ship_by,shipped_at,deliver_by\n" +
		"A1,T1,2026-11-21,2026-11-21 09:30,2026-11-25T12:00:00Z\n"
	_, got := readAll(t, in, Options{Location: berlin})
	if len(got) != 1 {
		t.Fatalf("rows of %q = %+v, want one", in, got)
	}
	row := got[0].Row
	for _, c := range []struct {
		name string
		got  *time.Time
		want string
	}{
		{"ShipBy", row.ShipBy, "2026-11-21T22:59:59.999999Z"},
		{"ShippedAt", row.ShippedAt, "2026-11-21T08:30:00Z"},
		{"DeliverBy", row.DeliverBy, "2026-11-25T12:00:00Z"},
	} {
		if c.got == nil || c.got.Format(time.RFC3339Nano) != c.want || c.got.Location() != time.UTC {
			t.Errorf("%s = %v, want %s in UTC", c.name, c.got, c.want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-21", "11/21/2026 2:05 PM", "2026-11-21T14:05:00.25+05:30", "2026-11-21 14:05 GMT-03"} {
		f.Add(s)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatalf("LoadLocation: %v", err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime([]byte(s), ny, startOfDay)
		if !ok {
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, not in UTC", s, got)
		}
		// What was accepted as a date with a zone must agree with time.Parse.
		if strings.ContainsAny(s, "Zz") && len(s) >= 20 && s[4] == '-' {
			want, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
			if err == nil && !want.Equal(got) {
				t.Errorf("parseTime(%q) = %v, time.Parse says %v", s, got, want)
			}
		}
	})
}
