// Package server is Shipwatch's http.Handler: /graphql with its playground,
// health and readiness probes, Prometheus metrics, and the middleware that
// authenticates sellers, bounds bodies, recovers panics and logs requests.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/server/playground"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Deps is what the handler serves.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// GraphQL is the /graphql handler (built by NewGraphQL).
	GraphQL http.Handler
	// Registry collects the metrics served on /metrics.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies other than uploads.
	MaxBodyBytes int64
	// MaxUploadBytes bounds multipart uploads.
	MaxUploadBytes int64
	// Routes adds further routes (webhooks, downloads) to the mux.
	Routes []func(mux *http.ServeMux)
	// Limits are the body time limits and rate limits.
	Limits config.Limits
}

// New returns the server's handler.
func New(d Deps) http.Handler {
	m := newMetrics(d.Registry)
	mux := http.NewServeMux()
	page, assets := playground.Handler("Shipwatch playground", "/graphql", "/playground")
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /playground/", assets)
	mux.Handle("/graphql", d.GraphQL)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(d.Store, d.Log))
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	for _, add := range d.Routes {
		add(mux)
	}
	var h http.Handler = mux
	h = authenticate(d.Store, d.Log, newRateLimits(d.Limits, m), h)
	h = limitBody(d.MaxBodyBytes, d.MaxUploadBytes, d.Limits, m, h)
	h = observe(d.Log, m, mux, h)
	return h
}

// readyz answers 200 when the database answers and every migration is
// applied: a load balancer sends traffic only to such a process.
func readyz(st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ok, err := st.MigrationsCurrent(ctx)
		switch {
		case err != nil:
			log.WarnContext(ctx, "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		case !ok:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations pending: run shipwatch migrate"})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		}
	}
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// graphQLError writes a GraphQL-shaped error response with no data.
func graphQLError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]string{"code": code}}},
	})
}

// RequestSeller returns the authenticated seller of a plain HTTP route
// (downloads), answering 401 itself when there is none.
func RequestSeller(w http.ResponseWriter, r *http.Request) (store.Seller, bool) {
	s, ok := auth.SellerFrom(r.Context())
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid API key is required: send Authorization: Bearer <api_key>"})
	}
	return s, ok
}
