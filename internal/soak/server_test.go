package soak

import (
	"strings"
	"testing"
)

// The server's warnings are grouped by level and message, attributes
// aside, the most frequent first, each with its first line in full.
func TestServerWarningKinds(t *testing.T) {
	log := strings.Join([]string{
		`time=2026-12-07T19:00:00Z level=INFO msg=serving addr=127.0.0.1:8080`,
		`time=2026-12-07T19:00:01Z level=WARN msg="sweep: lost its turn" rule=STALLED`,
		`time=2026-12-07T19:00:02Z level=ERROR msg="job failed" kind=shipwatch.check err="pq: canceling statement"`,
		`time=2026-12-07T19:00:03Z level=WARN msg="sweep: lost its turn" rule=INACTIVE_TRACKING`,
		`time=2026-12-07T19:00:04Z level=WARN msg=slow`,
	}, "\n")
	var s server
	s.read(strings.NewReader(log), make(chan string, 1))
	got := s.warningKinds()
	want := []Warning{
		{"WARN sweep: lost its turn", 2, `time=2026-12-07T19:00:01Z level=WARN msg="sweep: lost its turn" rule=STALLED`},
		{"ERROR job failed", 1, `time=2026-12-07T19:00:02Z level=ERROR msg="job failed" kind=shipwatch.check err="pq: canceling statement"`},
		{"WARN slow", 1, `time=2026-12-07T19:00:04Z level=WARN msg=slow`},
	}
	if s.warnings() != 4 || len(got) != len(want) {
		t.Fatalf("%d warnings in %d kinds %+v, want 4 in %d", s.warnings(), len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("kind %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
