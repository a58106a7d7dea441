package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const amazonHeader = "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n"

func TestAmazonGrouping(t *testing.T) {
	line := func(order, item, carrier, name, tracking string) string {
		return strings.Join([]string{order, item, "1", "2026-11-21T14:05:00-08:00", carrier, name, tracking, "Ground"}, "\t") + "\n"
	}
	shipped := ts("2026-11-21T22:05:00Z")
	row := func(l int, order, carrier, tracking string, items int) result {
		return result{Row: Row{Line: l, OrderID: order, TrackingNumber: tracking, Carrier: carrier, Service: "Ground", ShippedAt: shipped, Items: items}}
	}
	for _, tc := range []struct {
		name string
		in   string
		want []result
	}{
		{"one line", line("111-1", "1", "UPS", "", "1ZA"),
			[]result{row(2, "111-1", "ups", "1ZA", 1)}},
		{"adjacent items of one shipment", line("111-1", "1", "UPS", "", "1ZA") + line("111-1", "2", "UPS", "", "1ZA") + line("111-1", "3", "UPS", "", "1ZA"),
			[]result{row(2, "111-1", "ups", "1ZA", 3)}},
		{"one order, two parcels", line("111-1", "1", "UPS", "", "1ZA") + line("111-1", "2", "UPS", "", "1ZB"),
			[]result{row(2, "111-1", "ups", "1ZA", 1), row(3, "111-1", "ups", "1ZB", 1)}},
		{"non-adjacent repeat is left to the loader", line("111-1", "1", "UPS", "", "1ZA") + line("222-2", "1", "USPS", "", "94A") + line("111-1", "2", "UPS", "", "1ZA"),
			[]result{row(2, "111-1", "ups", "1ZA", 1), row(3, "222-2", "usps", "94A", 1), row(4, "111-1", "ups", "1ZA", 1)}},
		{"blank lines inside a shipment", line("111-1", "1", "UPS", "", "1ZA") + "\n\t\t\n" + line("111-1", "2", "UPS", "", "1ZA"),
			[]result{row(2, "111-1", "ups", "1ZA", 2)}},
		{"a rejected line ends the shipment", line("111-1", "1", "UPS", "", "1ZA") + line("111-1", "2", "UPS", "", "") + line("111-1", "3", "UPS", "", "1ZA"),
			[]result{row(2, "111-1", "ups", "1ZA", 1), {Err: "line 3, column tracking-number: required, but empty"}, row(4, "111-1", "ups", "1ZA", 1)}},
		{"carrier Other uses carrier-name", line("111-1", "1", "Other", "OnTrac", "C1"),
			[]result{row(2, "111-1", "ontrac", "C1", 1)}},
		{"blank carrier-code uses carrier-name", line("111-1", "1", "", "LaserShip", "L1"),
			[]result{row(2, "111-1", "lasership", "L1", 1)}},
		{"Other without a name is undeclared", line("111-1", "1", "other", "", "X1"),
			[]result{row(2, "111-1", "", "X1", 1)}},
		{"CRLF and BOM", "\ufeff" + strings.ReplaceAll(amazonHeader+line("111-1", "1", "UPS", "", "1ZA")+line("111-1", "2", "UPS", "", "1ZA"), "\n", "\r\n"),
			[]result{row(2, "111-1", "ups", "1ZA", 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if !strings.HasPrefix(in, "\ufeff") {
				in = amazonHeader + in
			}
			r, got := readAll(t, in, Options{})
			if r.Format() != FormatAmazonFlatFile {
				t.Errorf("Format() = %q, want %q", r.Format(), FormatAmazonFlatFile)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveCarrier(t *testing.T) {
	codes := map[string]string{"UPS": "ups", "United Parcel Service": "ups", "FedEx": "fedex", "Fed Ex": "fedex"}
	resolve := func(name string) (string, bool) {
		code, ok := codes[name]
		return code, ok
	}
	var called []string
	spy := func(name string) (string, bool) {
		called = append(called, name)
		return resolve(name)
	}
	in := amazonHeader +
		"1\t1\t1\t\tUPS\t\tT1\t\n" +
		"2\t1\t1\t\tOther\tFed Ex\tT2\t\n" +
		"3\t1\t1\t\tOther\tPony Express\tT3\t\n" +
		"4\t1\t1\t\t\t\tT4\t\n"
	_, got := readAll(t, in, Options{ResolveCarrier: spy})
	want := []result{
		{Row: Row{Line: 2, OrderID: "1", TrackingNumber: "T1", Carrier: "ups", Items: 1}},
		{Row: Row{Line: 3, OrderID: "2", TrackingNumber: "T2", Carrier: "fedex", Items: 1}},
		{Err: `line 4, column carrier-name: "Pony Express" is not a known carrier`},
		{Row: Row{Line: 5, OrderID: "4", TrackingNumber: "T4", Items: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"UPS", "Fed Ex", "Pony Express"}, called); diff != "" {
		t.Errorf("ResolveCarrier calls (-want +got), a blank carrier must not be resolved:\n%s", diff)
	}
}
