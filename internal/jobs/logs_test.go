package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestQuietenDemotesRoutineRiverRecords(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		log := quieten(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})))
		ctx := context.Background()
		log.InfoContext(ctx, "producer: Producer job counts", "num_completed_jobs", 3)
		log.InfoContext(ctx, "JobCleaner: Ran successfully", "num_jobs_deleted", 0)
		log.InfoContext(ctx, "River client started")
		log.ErrorContext(ctx, "producer: Error fetching jobs")
		out := buf.String()
		for _, want := range []string{"River client started", "Error fetching jobs"} {
			if !strings.Contains(out, want) {
				t.Errorf("at %v the log lacks %q:\n%s", level, want, out)
			}
		}
		routine := strings.Count(out, "job counts") + strings.Count(out, "Ran successfully")
		if level == slog.LevelInfo && routine != 0 {
			t.Errorf("at INFO the log shows routine records:\n%s", out)
		}
		if level == slog.LevelDebug && (routine != 2 || strings.Count(out, "level=DEBUG") != 2) {
			t.Errorf("at DEBUG the log should show both routine records as DEBUG:\n%s", out)
		}
	}
}
