package webhook

import (
	"strings"
	"testing"
)

// A megabyte value in a webhook body comes back in the 400's error as a
// few hundred bytes at most.
func TestHugeValuesNotEchoed(t *testing.T) {
	huge := strings.Repeat("9", 1<<20)
	for _, tc := range []struct {
		name  string
		parse func([]byte) (Payload, error)
		body  string
	}{
		{"easypost number as object", ParseEasyPost, `{"object":"Event","description":"tracker.updated","result":` + huge + `}`},
		{"easypost description", ParseEasyPost, `{"object":"Event","description":"` + strings.Repeat("x", 1<<20) + `","result":{}}`},
		{"easypost bad time", ParseEasyPost, `{"object":"Event","description":"tracker.updated","result":{"object":"Tracker","tracking_code":"1Z","tracking_details":[{"datetime":` + huge + `}]}}`},
		{"aftership event", ParseAfterShip, `{"event":"` + strings.Repeat("x", 1<<20) + `"}`},
		{"aftership msg", ParseAfterShip, `{"event":"tracking_update","msg":` + huge + `}`},
		{"syntax", ParseAfterShip, `{"event":"tracking_update","msg":{"tracking_number":"` + strings.Repeat("x", 1<<20)},
	} {
		_, err := tc.parse([]byte(tc.body))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if len(err.Error()) > 1200 {
			t.Errorf("%s: error is %d bytes: %.100s...", tc.name, len(err.Error()), err)
		}
	}
}
