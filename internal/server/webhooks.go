package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// retryAfterSeconds is what a 503 asks senders to wait before retrying.
const retryAfterSeconds = 5

// WebhookRoutes returns the receivers of tracking-provider webhooks,
// POST /webhooks/{easypost,aftership,17track,shippo}/{id}, for
// Deps.Routes. They take no API key: the source id in the URL and the
// signature made with the source's secret (Shippo: the token in the URL)
// authenticate the sender.
//
// A 2xx is sent only once the raw body is durably stored with its source
// and headers (and its processing job enqueued); anything the provider
// should not retry is a 4xx with a reason; a 503 asks it to retry.
func WebhookRoutes(hooks *monitor.Webhooks, log *slog.Logger, maxBytes int64) func(*http.ServeMux) {
	h := &webhookHandler{hooks: hooks, log: log, maxBytes: maxBytes}
	return func(mux *http.ServeMux) {
		for provider, verify := range verifiers {
			mux.HandleFunc("POST "+monitor.WebhookPath(provider, "{id}"), h.serve(provider, verify))
		}
	}
}

// verifier checks that a request was sent by the source's provider, over
// the raw body.
type verifier func(r *http.Request, body []byte, src monitor.Source) error

// bySignature checks a signature header made with the source's secret.
func bySignature(check func(body []byte, header http.Header, secret string) error) verifier {
	return func(r *http.Request, body []byte, src monitor.Source) error { return check(body, r.Header, src.Secret) }
}

var verifiers = map[string]verifier{
	monitor.ProviderEasyPost:       bySignature(webhook.VerifyEasyPost),
	monitor.ProviderAfterShip:      bySignature(webhook.VerifyAfterShip),
	monitor.ProviderSeventeenTrack: bySignature(webhook.VerifySeventeenTrack),
	monitor.ProviderShippo:         verifyShippo,
}

// verifyShippo checks the token of the source's URL, compared in constant
// time with its stored hash, and, when the source has an HMAC secret
// (Shippo sets one up on request), the Shippo-Auth-Signature header too:
// a source with a secret refuses a webhook without it.
func verifyShippo(r *http.Request, body []byte, src monitor.Source) error {
	if err := webhook.VerifyToken(r.URL.Query().Get(webhook.ShippoTokenParam), src.TokenHash); err != nil {
		return err
	}
	if src.Secret == "" {
		return nil
	}
	return webhook.VerifyShippo(body, r.Header, src.Secret, time.Now())
}

type webhookHandler struct {
	hooks    *monitor.Webhooks
	log      *slog.Logger
	maxBytes int64
}

func (h *webhookHandler) serve(provider string, verify verifier) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		log := h.log.With("request_id", auth.RequestID(ctx), "provider", provider, "source_id", id)
		src, err := h.hooks.Source(ctx, provider, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			webhookError(w, http.StatusNotFound, "no "+strings.ToLower(provider)+" tracking source with this id: check the webhook URL")
			return
		case errors.Is(err, monitor.ErrWrongKey):
			log.ErrorContext(ctx, "webhook source unreadable", "err", err)
			unavailable(w, "this server cannot read the source's secret: its SHIPWATCH_SECRET_KEY differs from the one the source was created with")
			return
		case err != nil:
			log.ErrorContext(ctx, "webhook source lookup failed", "err", err)
			unavailable(w, "temporarily unable to accept webhooks: retry later")
			return
		}
		log = log.With("seller_id", src.SellerID)

		if r.ContentLength > h.maxBytes {
			tooLarge(w, h.maxBytes)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			tooLarge(w, h.maxBytes)
			return
		case err != nil:
			webhookError(w, http.StatusBadRequest, "could not read the request body")
			return
		}

		// The signature is checked over the raw bytes before anything
		// reads them; an unsigned body is neither parsed nor stored.
		if err := verify(r, body, src); err != nil {
			log.WarnContext(ctx, "webhook signature refused", "err", err)
			webhookError(w, http.StatusUnauthorized, refusal(err))
			return
		}

		p, err := monitor.ParseWebhook(provider, body)
		var perr *webhook.PayloadError
		switch {
		case errors.Is(err, webhook.ErrUnsupportedEvent):
			// Refusing would only make the provider retry it forever.
			writeJSON(w, http.StatusOK, map[string]string{"status": "ignored", "reason": "not a tracking event"})
			return
		case errors.As(err, &perr):
			body := map[string]string{"error": perr.Error()}
			if perr.Field != "" {
				body["field"] = perr.Field
			}
			writeJSON(w, http.StatusBadRequest, body)
			return
		case err != nil:
			log.ErrorContext(ctx, "webhook parse failed", "err", err)
			unavailable(w, "temporarily unable to accept webhooks: retry later")
			return
		}

		deliveryID, err := h.hooks.Receive(ctx, store.NewWebhookDelivery{
			SellerID: src.SellerID, SourceID: src.ID, Provider: provider, ProviderEventID: p.EventID,
			Headers: keptHeaders(r.Header), Body: body,
		})
		if err != nil {
			log.ErrorContext(ctx, "webhook not stored", "err", err)
			unavailable(w, "temporarily unable to store webhooks: retry later")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "stored", "delivery_id": deliveryID, "events": len(p.Events)})
	}
}

// refusal is the reason a 401 gives: what the sender (or the seller
// setting it up) must fix, never anything about the secret itself.
func refusal(err error) string {
	switch {
	case errors.Is(err, webhook.ErrStaleSignature):
		return "the signature's timestamp is more than " + webhook.ShippoSignatureTolerance.String() + " from this server's clock"
	case errors.Is(err, webhook.ErrMissingSignature):
		return "missing signature: set the webhook secret at the provider to the one this source was created with (Shippo: the URL's token, and the Shippo-Auth-Signature header once an HMAC secret is set)"
	}
	return "the signature does not match the body under this source's secret (Shippo: the URL's token or the HMAC secret is wrong)"
}

func webhookError(w http.ResponseWriter, code int, message string) {
	writeJSON(w, code, map[string]string{"error": message})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	webhookError(w, http.StatusRequestEntityTooLarge, "the body is larger than "+strconv.FormatInt(limit, 10)+" bytes (SHIPWATCH_MAX_WEBHOOK_BYTES)")
}

func unavailable(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	webhookError(w, http.StatusServiceUnavailable, message)
}

// keptHeaders are the request headers stored with a delivery: all of them
// but credentials. Signature headers stay; they are no secret (an HMAC
// does not reveal its key) and let anyone holding the secret re-verify
// the stored body later.
func keptHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for name, values := range h {
		if secretHeader(name) {
			continue
		}
		out[name] = values
	}
	return out
}

func secretHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, word := range []string{"token", "secret", "password", "api-key", "apikey", "session"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}
