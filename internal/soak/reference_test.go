package soak

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// TestExpected states each documented rule on one shipment at a fixed
// instant, at and around its boundaries.
func TestExpected(t *testing.T) {
	now := *at("2026-11-20T12:00:00Z")
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sellers := map[string]RefSeller{
		"utc": {Zone: time.UTC, InactiveHours: 48, StalledDays: 5},
		"ny":  {Zone: ny, InactiveHours: 48, StalledDays: 5},
	}
	scan := func(id int64, when, status string) RefEvent {
		return RefEvent{ID: id, OccurredAt: *at(when), Status: status}
	}
	tests := []struct {
		name   string
		sh     RefShipment
		events []RefEvent
		want   []string
	}{
		{"invalid number", RefShipment{TrackingReason: "UNKNOWN_FORMAT"}, nil, []string{"INVALID_TRACKING"}},
		{"invalid number, scanned", RefShipment{TrackingReason: "UNKNOWN_FORMAT"},
			[]RefEvent{scan(1, "2026-11-20T10:00:00Z", "IN_TRANSIT")}, nil},
		{"invalid number, only a label", RefShipment{TrackingReason: "UNKNOWN_FORMAT"},
			[]RefEvent{scan(1, "2026-11-20T10:00:00Z", "LABEL_CREATED")}, []string{"INVALID_TRACKING"}},
		{"carrier mismatch", RefShipment{TrackingReason: "CARRIER_MISMATCH"}, nil, []string{"CARRIER_MISMATCH"}},
		{"cancelled", RefShipment{TrackingReason: "CARRIER_MISMATCH", Cancelled: true}, nil, nil},
		{"shipped 47 h ago", RefShipment{TrackingValid: true, ShippedAt: at("2026-11-18T13:00:00Z")}, nil, nil},
		{"shipped 48 h ago", RefShipment{TrackingValid: true, ShippedAt: at("2026-11-18T12:00:00Z")}, nil, []string{"INACTIVE_TRACKING"}},
		{"stalled 4 d 23 h", RefShipment{TrackingValid: true},
			[]RefEvent{scan(1, "2026-11-15T13:00:00Z", "IN_TRANSIT")}, nil},
		{"stalled 5 d 1 h", RefShipment{TrackingValid: true},
			[]RefEvent{scan(1, "2026-11-15T11:00:00Z", "IN_TRANSIT")}, []string{"STALLED"}},
		{"old delivery is not stalled", RefShipment{TrackingValid: true},
			[]RefEvent{scan(1, "2026-11-01T11:00:00Z", "DELIVERED")}, nil},
		{"stale DELIVERED before later scans", RefShipment{TrackingValid: true}, []RefEvent{
			scan(1, "2026-11-01T11:00:00Z", "IN_TRANSIT"), scan(2, "2026-10-30T11:00:00Z", "DELIVERED")}, []string{"STALLED"}},
		{"shipped the day after ship-by", RefShipment{TrackingValid: true, ShipBy: at("2026-11-18T00:00:00Z"),
			ShippedAt: at("2026-11-19T00:01:00Z")}, nil, []string{"LATE_SHIPMENT"}},
		{"shipped at 23:59 on ship-by", RefShipment{TrackingValid: true, ShipBy: at("2026-11-19T00:00:00Z"),
			ShippedAt: at("2026-11-19T23:59:00Z")}, nil, nil},
		{"ship-by day not over", RefShipment{TrackingValid: true, ShipBy: at("2026-11-20T00:00:00Z")}, nil, nil},
		{"ship-by day over", RefShipment{TrackingValid: true, ShipBy: at("2026-11-19T00:00:00Z")}, nil, []string{"LATE_SHIPMENT"}},
		// 03:00 UTC on the 20th is 22:00 on the 19th in New York.
		{"ship-by day over in New York", RefShipment{SellerID: "ny", TrackingValid: true, ShipBy: at("2026-11-20T03:00:00Z")},
			nil, []string{"LATE_SHIPMENT"}},
		{"ship-by day not over in UTC", RefShipment{TrackingValid: true, ShipBy: at("2026-11-20T03:00:00Z")}, nil, nil},
		{"estimate after deliver-by", RefShipment{TrackingValid: true, DeliverBy: at("2026-11-21T00:00:00Z")},
			[]RefEvent{{ID: 1, OccurredAt: *at("2026-11-20T10:00:00Z"), Status: "IN_TRANSIT", Estimate: at("2026-11-22T10:00:00Z")}},
			[]string{"DELIVERY_AT_RISK"}},
		{"delivered late", RefShipment{TrackingValid: true, DeliverBy: at("2026-11-18T00:00:00Z")},
			[]RefEvent{scan(1, "2026-11-19T10:00:00Z", "DELIVERED")}, []string{"LATE_DELIVERY"}},
		{"not delivered, deliver-by over", RefShipment{TrackingValid: true, DeliverBy: at("2026-11-19T00:00:00Z")},
			[]RefEvent{scan(1, "2026-11-19T10:00:00Z", "IN_TRANSIT")}, []string{"LATE_DELIVERY"}},
		{"attempted", RefShipment{TrackingValid: true},
			[]RefEvent{scan(1, "2026-11-20T10:00:00Z", "DELIVERY_ATTEMPTED")}, []string{"DELIVERY_EXCEPTION"}},
		{"exception then a scan", RefShipment{TrackingValid: true}, []RefEvent{
			scan(1, "2026-11-20T09:00:00Z", "EXCEPTION"), scan(2, "2026-11-20T10:00:00Z", "IN_TRANSIT")}, nil},
		{"returned", RefShipment{TrackingValid: true},
			[]RefEvent{scan(1, "2026-11-01T10:00:00Z", "RETURNED_TO_SENDER")}, []string{"DELIVERY_EXCEPTION"}},
	}
	for _, tt := range tests {
		sh := tt.sh
		sh.ID, sh.Normalized, sh.OrderID = "s1", "1Z1", "o1"
		if sh.SellerID == "" {
			sh.SellerID = "utc"
		}
		d := RefData{Sellers: sellers, Shipments: []RefShipment{sh},
			Events: map[string]map[string][]RefEvent{sh.SellerID: {"1Z1": tt.events}}}
		var got []string
		for k := range Expected(d, now) {
			got = append(got, k.Kind)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Expected() kinds (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestExpectedDuplicates flags both orders carrying one number, not a
// cancelled one, and not a shipment without a number.
func TestExpectedDuplicates(t *testing.T) {
	d := RefData{Sellers: map[string]RefSeller{"s": {InactiveHours: 48, StalledDays: 5}}, Shipments: []RefShipment{
		{ID: "a", SellerID: "s", OrderID: "1", Normalized: "N", TrackingValid: true},
		{ID: "b", SellerID: "s", OrderID: "2", Normalized: "N", TrackingValid: true},
		{ID: "c", SellerID: "s", OrderID: "3", Normalized: "N", TrackingValid: true, Cancelled: true},
		{ID: "d", SellerID: "other", OrderID: "1", Normalized: "N", TrackingValid: true},
		{ID: "e", SellerID: "s", OrderID: "4", TrackingValid: false},
		{ID: "f", SellerID: "s", OrderID: "5", TrackingValid: false},
	}}
	got := Expected(d, *at("2026-11-20T12:00:00Z"))
	want := map[FlagKey]bool{{"a", "DUPLICATE_TRACKING"}: true, {"b", "DUPLICATE_TRACKING"}: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expected() (-want +got):\n%s", diff)
	}
}

// TestCompare counts flags missing and extra, and forgives a time-based
// flag that agrees with the reference at one end of the sweep.
func TestCompare(t *testing.T) {
	open := map[FlagKey]bool{{"a", "STALLED"}: true, {"b", "INVALID_TRACKING"}: true, {"c", "STALLED"}: true}
	atStart := map[FlagKey]bool{{"a", "STALLED"}: true, {"d", "LATE_DELIVERY"}: true}
	atEnd := map[FlagKey]bool{{"a", "STALLED"}: true, {"c", "STALLED"}: true, {"d", "LATE_DELIVERY"}: true}
	total, byKind := Compare(open, atStart, atEnd)
	want := []Mismatch{
		{Kind: "INVALID_TRACKING", Extra: 1, Example: "b"},
		{Kind: "LATE_DELIVERY", Missing: 1, Example: "d"},
	}
	if total != 2 {
		t.Errorf("Compare() total = %d, want 2", total)
	}
	if diff := cmp.Diff(want, byKind); diff != "" {
		t.Errorf("Compare() by kind (-want +got):\n%s", diff)
	}
}

// TestPrint checks the last line, exactly, and that a slow flag fails.
func TestPrint(t *testing.T) {
	rep := Report{Options: Options{Sweep: 10 * time.Second}, Deadlock: 1, JobErrors: JobErrors{Jobs: 2, ByKind: map[string]int64{"k": 2}},
		Sweeps: Sweeps{Unfinished: 1, Failed: 2}, Mismatched: 4, EventsLost: 5, ImportStatus: "COMPLETED",
		DelayMax: 15 * time.Second}
	var out strings.Builder
	rep.Print(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got, want := lines[len(lines)-1], "soak: deadlocks 1, job errors 2, sweeps lost 3, flags mismatched 4, events lost 5"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if !strings.Contains(out.String(), "TOO SLOW") {
		t.Errorf("Print() =\n%s\nwant a 15 s delay reported TOO SLOW (limit 15 s)", out.String())
	}
	if rep.OK() {
		t.Error("OK() = true, want false")
	}
	if ok := (Report{Options: rep.Options, ImportStatus: "COMPLETED", DelayMax: 14 * time.Second}); !ok.OK() {
		t.Error("OK() of a clean run = false, want true")
	}
}
