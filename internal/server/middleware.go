package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/store"
)

// authenticate attaches the seller of a Bearer API key to the request. A
// key that is present but wrong or revoked is refused at once; a request
// without one goes on unauthenticated, and each route decides (GraphQL
// allows only introspection, so the playground can show the schema).
//
// It also applies the rate limits: a request without a key and a failed
// key attempt take a token from the client address's bucket (and a keyed
// request from an address whose bucket is empty is refused before the key
// is looked up, so guessing keys costs the database nothing); an
// authenticated request takes one from its key's bucket; webhooks, which
// carry no key, from their own bucket per source and address.
func authenticate(st *store.Store, log *slog.Logger, rl *rateLimits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		now := rl.now()
		addr := rl.clientKey(r)
		if strings.HasPrefix(r.URL.Path, "/webhooks/") {
			if ok, wait := rl.webhook.allow(r.URL.Path+" "+addr, now); !ok {
				rl.refuse(w, r, "webhook", wait)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		header := r.Header.Get("Authorization")
		if header == "" {
			if ok, wait := rl.address.allow(addr, now); !ok {
				rl.refuse(w, r, "address", wait)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if empty, wait := rl.address.empty(addr, now); empty {
			rl.refuse(w, r, "address", wait)
			return
		}
		key := auth.BearerToken(header)
		seller, err := st.Authenticate(r.Context(), key)
		if errors.Is(err, store.ErrNotFound) || key == "" {
			if ok, wait := rl.address.allow(addr, now); !ok {
				rl.refuse(w, r, "address", wait)
				return
			}
			graphQLError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the API key is not valid or was revoked")
			return
		}
		if err != nil {
			log.ErrorContext(r.Context(), "authenticate", "request_id", auth.RequestID(r.Context()), "err", err)
			graphQLError(w, http.StatusServiceUnavailable, "INTERNAL", "internal error (request "+auth.RequestID(r.Context())+")")
			return
		}
		prefix := store.KeyPrefix(key)
		if ok, wait := rl.key.allow(prefix, now); !ok {
			rl.refuse(w, r, "api_key", wait)
			return
		}
		ctx := auth.WithKeyPrefix(auth.WithSeller(r.Context(), seller), prefix)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitBody bounds request bodies: uploads (multipart) to maxUpload for the
// file plus maxBody for the GraphQL parts around it, everything else to
// maxBody. It bounds their time too (body.go): an upload must keep up a
// minimum rate, anything else arrive within the body timeout.
func limitBody(maxBody, maxUpload int64, lim config.Limits, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := maxBody
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
		if multipart {
			limit = maxUpload + maxBody
		}
		if r.ContentLength > limit {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{
				"error": "request body is " + strconv.FormatInt(r.ContentLength, 10) + " bytes, above the limit of " + strconv.FormatInt(limit, 10)})
			return
		}
		switch {
		case r.Header.Get("Upgrade") != "" || r.ContentLength == 0:
			// A websocket outlives any body deadline; no body, no deadline.
		case multipart:
			r.Body = newRateBody(w, r.Body, lim.UploadMinRate, lim.UploadRateWindow, m)
		default:
			r.Body = newDeadlineBody(w, r.Body, lim.BodyTimeout, m)
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

type metrics struct {
	requests *prometheus.HistogramVec
	refused  *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "shipwatch_http_request_duration_seconds",
		Help:    "HTTP request latency by route and status code.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "code"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipwatch_http_refused_total",
			Help: "Requests refused by an abuse limit, by reason: address, api_key or webhook (rate limits), body_timeout or slow_upload.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.requests, m.refused)
	for _, reason := range []string{"address", "api_key", "webhook", "body_timeout", "slow_upload"} {
		m.refused.WithLabelValues(reason) // every series exists from the start, at 0
	}
	return m
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (websocket upgrades, flushes) reach
// the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, recovers panics, records latency by
// route and logs one line per request. It never logs headers: they carry
// API keys.
func observe(log *slog.Logger, m *metrics, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := auth.NewRequestID()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(auth.WithRequestID(r.Context(), id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving request", "request_id", id, "panic", p)
				if sw.code == 0 {
					graphQLError(sw, http.StatusInternalServerError, "INTERNAL", "internal error (request "+id+")")
				}
			}
			_, route := mux.Handler(r)
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(route, strconv.Itoa(code)).Observe(elapsed.Seconds())
			log.InfoContext(r.Context(), "http request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", code, "duration_ms", elapsed.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}
