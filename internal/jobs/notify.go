package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DefaultRetrySchedule is the wait after each failed notification attempt:
// 14 attempts, the last about 23 h 49 min after the first, so an endpoint
// down for most of a day still gets everything. Each wait varies by ±10%
// so retries after an outage do not arrive all at once.
var DefaultRetrySchedule = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour, 7 * time.Hour,
}

// NotifyTimeout bounds one POST to an endpoint.
const NotifyTimeout = 10 * time.Second

// NewNotifyClient returns the HTTP client notifications are sent with.
// Every connection is dialed through g, which refuses the operator's
// private networks on the address actually dialed. It follows no
// redirect: a signed request goes only to the URL the seller set, and a
// 3xx counts as a failure. It ignores HTTP(S)_PROXY: a proxy would dial
// on the guard's behalf.
func NewNotifyClient(g *netguard.Guard) *http.Client {
	return &http.Client{
		Timeout: NotifyTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: NotifyTimeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var errNoSecret = errors.New("cannot open the signing secret")

// DeliverArgs sends one recorded notification to the seller's endpoint.
type DeliverArgs struct {
	SellerID   string `json:"seller_id"`
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "shipwatch.notify.deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts: the retry schedule,
// not River's attempt count, decides when to give up, so the count is
// only a backstop.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 50} }

// DeliverWorker sends notifications, records every attempt and retries on
// the schedule. A delivered notification is not sent again.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	deps     *MonitorDeps
	client   *http.Client
	attempts *prometheus.CounterVec
}

func newDeliverWorker(deps *MonitorDeps) *DeliverWorker {
	w := &DeliverWorker{deps: deps, client: deps.HTTPClient, attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shipwatch_notification_attempts_total",
		Help: "Notification attempts, by outcome: delivered, retrying, failed (given up) or cancelled (no endpoint).",
	}, []string{"outcome"})}
	if w.client == nil {
		w.client = NewNotifyClient(netguard.New(nil, nil))
	}
	if deps.Registry != nil {
		deps.Registry.MustRegister(w.attempts)
	}
	return w
}

// Timeout implements river.Worker: a little over one POST.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return NotifyTimeout + 5*time.Second
}

// NextRetry implements river.Worker: the schedule's wait after this
// attempt, ±10%.
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	s := w.schedule()
	d := s[min(max(job.Attempt, 1), len(s))-1]
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return time.Now().Add(d + jitter)
}

func (w *DeliverWorker) schedule() []time.Duration {
	if len(w.deps.RetrySchedule) > 0 {
		return w.deps.RetrySchedule
	}
	return DefaultRetrySchedule
}

// Work implements river.Worker.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	st, a := w.deps.Store, job.Args
	d, err := st.Delivery(ctx, a.SellerID, a.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if d.State != store.DeliveryPending && d.State != store.DeliveryRetrying {
		return nil // already delivered or given up: never sent twice
	}
	ep, err := st.NotificationEndpoint(ctx, a.SellerID)
	if errors.Is(err, store.ErrNotFound) {
		w.attempts.WithLabelValues("cancelled").Inc()
		if err := st.FinishDelivery(ctx, a.SellerID, a.DeliveryID, store.DeliveryCancelled); err != nil {
			return err
		}
		return river.JobCancel(errors.New("the seller removed the notification endpoint"))
	}
	if err != nil {
		return err
	}
	attempt, sendErr := w.send(ctx, ep, []byte(d.Payload))
	if sendErr != nil {
		w.deps.logger().WarnContext(ctx, "notification attempt failed", "seller_id", a.SellerID,
			"delivery_id", a.DeliveryID, "attempt", job.Attempt, "err", sendErr)
	}
	state := store.DeliveryDelivered
	last := job.Attempt > len(w.schedule())
	switch {
	case sendErr == nil:
	case last:
		state = store.DeliveryFailed
	default:
		state = store.DeliveryRetrying
	}
	w.attempts.WithLabelValues(map[string]string{store.DeliveryDelivered: "delivered", store.DeliveryRetrying: "retrying", store.DeliveryFailed: "failed"}[state]).Inc()
	if err := st.RecordAttempt(ctx, a.SellerID, a.DeliveryID, attempt, state); err != nil {
		return errors.Join(sendErr, err)
	}
	if sendErr != nil && last {
		return river.JobCancel(fmt.Errorf("gave up after %d attempts: %w", job.Attempt, sendErr))
	}
	return sendErr
}

// send signs and POSTs the body once and describes the attempt.
func (w *DeliverWorker) send(ctx context.Context, ep store.NotificationEndpoint, body []byte) (store.Attempt, error) {
	start := time.Now()
	attempt := store.Attempt{At: start.UTC()}
	err := func() error {
		signing, err := w.deps.SecretKey.Open(ep.Secret, []byte(notify.SecretContext))
		if err != nil {
			return fmt.Errorf("%w: was SHIPWATCH_SECRET_KEY changed? %w", errNoSecret, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("bad endpoint URL: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Shipwatch-Notifications/1")
		req.Header.Set(notify.SignatureHeader, notify.Sign(string(signing), time.Now(), body))
		resp, err := w.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // only drained for connection reuse
		attempt.StatusCode = resp.StatusCode
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("endpoint answered %s", resp.Status)
		}
		return nil
	}()
	attempt.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		attempt.Error = sellerMessage(err, attempt.StatusCode)
	}
	return attempt, err
}

// sellerMessage describes a failed attempt to the seller without
// describing the operator's network: no address, port or socket error
// (which would tell a prober which internal ports are open), only whether
// the address was refused, the endpoint could not be reached or timed
// out, or the class of status it answered. The full error goes to the
// operator's log.
func sellerMessage(err error, status int) string {
	var nerr net.Error
	switch {
	case status >= 300 && status < 400:
		return "the endpoint answered with a redirect (3xx); redirects are not followed"
	case status > 0:
		return fmt.Sprintf("the endpoint answered with a %dxx status", status/100)
	case errors.Is(err, netguard.ErrForbidden):
		return "the endpoint's address is in a private or reserved network, which this server does not deliver to"
	case errors.Is(err, errNoSecret):
		return "the signing secret cannot be opened; the operator was told"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Sprintf("the endpoint did not answer within %s", NotifyTimeout)
	default:
		return "the endpoint could not be reached"
	}
}

// logger returns the workers' logger, or one that discards when none was
// given (tests that build the deps by hand).
func (d *MonitorDeps) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}
