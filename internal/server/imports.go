package server

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ImportRoutes adds GET /imports/{id}/errors: the rejected rows of one of
// the seller's imports, ready to fix and upload again, in the upload's own
// format (CSV for a Shipwatch CSV, tab-separated .txt for an Amazon flat
// file) and named for it in Content-Disposition. errors.csv and errors.txt
// are the same route under the names a person may expect. The API key is
// the same as for GraphQL; another seller's import is 404.
func ImportRoutes(im *monitor.Importer, log *slog.Logger) func(*http.ServeMux) {
	return func(mux *http.ServeMux) {
		for _, p := range []string{"errors", "errors.csv", "errors.txt"} {
			mux.HandleFunc("GET /imports/{id}/"+p, ErrorsFileHandler(im, log))
		}
	}
}

// ErrorsFileHandler serves an import's errors file to the request's seller
// (the {id} path value names the import).
func ErrorsFileHandler(im *monitor.Importer, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seller, ok := RequestSeller(w, r)
		if !ok {
			return
		}
		f, err := im.ErrorsFile(r.Context(), seller.ID, r.PathValue("id"))
		if errors.Is(err, store.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such import"})
			return
		}
		if err != nil {
			id := auth.RequestID(r.Context())
			log.ErrorContext(r.Context(), "import errors file", "request_id", id, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error (request " + id + ")"})
			return
		}
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
		if err := f.Stream(r.Context(), w); err != nil {
			// The status is sent: all that is left is to cut the body short.
			log.WarnContext(r.Context(), "import errors file cut short", "request_id", auth.RequestID(r.Context()), "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}
