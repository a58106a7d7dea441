package loadtest

import (
	"strings"
	"testing"
	"time"
)

// TestPrintCPUPerThousand checks the figures that make runs on a busy
// machine comparable: CPU-seconds per 1,000 events, server and PostgreSQL.
func TestPrintCPUPerThousand(t *testing.T) {
	rep := Report{Elapsed: 10 * time.Second, Acked: 4000, Events: 20000, Stored: 20000,
		CPUProcess: 5 * time.Second, CPUPostgres: 15 * time.Second}
	var out strings.Builder
	rep.Print(&out)
	for _, want := range []string{
		"= 1000 events per CPU-second",
		"cpu/1000:    0.250s server (with senders), 0.750s PostgreSQL per 1,000 events",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Print() =\n%s\nwant a line with %q", out.String(), want)
		}
	}
}
