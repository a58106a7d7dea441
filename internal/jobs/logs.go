package jobs

import (
	"context"
	"log/slog"
	"strings"
)

// routineMessages end the messages River logs at INFO on a timer while all
// is well: a producer's job counts every 15 seconds and each maintenance
// service's "Ran successfully". They are progress reports, not events, so
// an operator reading the log at INFO should not see one every few seconds;
// /metrics has the job counts.
var routineMessages = []string{": Producer job counts", ": Ran successfully"}

// quietHandler lowers River's routine INFO records to DEBUG, leaving every
// other record (errors, leadership, start and stop) as River logs it.
type quietHandler struct{ slog.Handler }

func quieten(log *slog.Logger) *slog.Logger {
	if log == nil {
		return nil
	}
	return slog.New(quietHandler{log.Handler()})
}

// Handle demotes a routine record and drops it when DEBUG is off.
func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo && routine(r.Message) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}

func routine(msg string) bool {
	for _, m := range routineMessages {
		if strings.HasSuffix(msg, m) || strings.Contains(msg, m+":") {
			return true
		}
	}
	return false
}
