package health

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The catalogue as docs/health.md states it: each marketplace's metrics,
// targets in basis points and windows.
func TestStandardsCatalogue(t *testing.T) {
	type row struct {
		metric  Metric
		cmp     Comparison
		bp      int
		windows string
		key     Keying
	}
	want := map[Marketplace][]row{
		Amazon: {
			{ValidTrackingRate, AtLeast, 9500, "7,30", KeyPromisedDelivery},
			{LateShipmentRate, Below, 400, "10,30", KeyShipBy},
			{CancellationRate, Below, 250, "7", KeyOrdered},
			{OnTimeDeliveryRate, Above, 9700, "14", KeyPromisedDelivery},
			{OnTimeShipmentRate, AtLeast, 9900, "7", KeyShipBy},
		},
		Walmart: {
			{ValidTrackingRate, AtLeast, 9900, "30", KeyShipped},
			{OnTimeDeliveryRate, AtLeast, 9000, "30", KeyPromisedDelivery},
			{CancellationRate, AtMost, 200, "30", KeyOrdered},
			{ItemNotReceivedRate, AtMost, 200, "60", KeyShipped},
			{ReturnRate, AtMost, 600, "60", KeyDelivered},
		},
		EBay: {
			{TrackingOnTimeRate, AtLeast, 9500, "90", KeyShipBy},
			{LateShipmentRate, AtMost, 300, "90", KeyShipBy},
		},
	}
	for m, rows := range want {
		got, err := StandardsFor(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("StandardsFor(%s) = %d standards, want %d", m, len(got), len(rows))
		}
		for i, w := range rows {
			g := got[i]
			var ws []string
			for _, d := range g.Windows {
				ws = append(ws, strconv.Itoa(d))
			}
			if g.Metric != w.metric || g.Target.Comparison != w.cmp || g.Target.BasisPoints != w.bp || strings.Join(ws, ",") != w.windows || g.KeyedBy != w.key {
				t.Errorf("StandardsFor(%s)[%d] = %s %s %d %v %s, want %+v", m, i, g.Metric, g.Target.Comparison, g.Target.BasisPoints, g.Windows, g.KeyedBy, w)
			}
			if !slices.Contains(g.Windows, g.Target.WindowDays) {
				t.Errorf("%s %s: target window %d, want one of %v", m, g.Metric, g.Target.WindowDays, g.Windows)
			}
			if g.Target.Source == "" || !strings.HasPrefix(g.URL, "https://") || g.Unseen == "" {
				t.Errorf("%s %s: want a source, an https URL and what Shipwatch cannot see: %+v", m, g.Metric, g)
			}
			if g.Metric.HigherIsBetter() != (g.Target.Comparison == Above || g.Target.Comparison == AtLeast) {
				t.Errorf("%s %s compares %s", m, g.Metric, g.Target.Comparison)
			}
			_ = g.Metric.count() // panics when the store has no count for it
		}
	}
	if _, err := StandardsFor("ETSY"); err == nil {
		t.Errorf("StandardsFor(ETSY) error = nil, want unknown marketplace")
	}
}
