package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// A slow client holds a connection, a goroutine and its buffers for as
// long as it likes unless something stops it. ReadHeaderTimeout bounds the
// headers (app.Serve); these bound the body. An ordinary body (GraphQL,
// a webhook) is small and gets a fixed deadline. An upload may be a
// gigabyte on a slow link, so a fixed deadline would either cut honest
// uploads or let a slowloris hold on for hours: it must instead keep up a
// minimum rate, measured over a window.

// deadlineBody sets the connection's read deadline while the body is read
// and clears it at the end of the body: net/http's background read after
// the body would otherwise fail at the deadline and cancel a request that
// is still working.
type deadlineBody struct {
	io.ReadCloser
	ctl *http.ResponseController
	m   *metrics
}

func newDeadlineBody(w http.ResponseWriter, body io.ReadCloser, timeout time.Duration, m *metrics) io.ReadCloser {
	ctl := http.NewResponseController(w)
	if ctl.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return body // not a connection that has deadlines (a test recorder)
	}
	return &deadlineBody{ReadCloser: body, ctl: ctl, m: m}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		b.ctl.SetReadDeadline(time.Time{}) //nolint:errcheck // it was set on this connection before
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.m.refused.WithLabelValues("body_timeout").Inc()
	}
	return n, err
}

// SlowUploadError is an upload that arrived slower than the minimum rate.
type SlowUploadError struct {
	MinRate int64
	Window  time.Duration
}

func (e *SlowUploadError) Error() string {
	return fmt.Sprintf("arrived slower than %d bytes/s over %s: cut off (SHIPWATCH_UPLOAD_MIN_RATE)", e.MinRate, e.Window)
}

// rateBody cuts off a body that arrives slower than minRate bytes a
// second, averaged over each window. A client that sends in bursts passes
// as long as each window's bytes add up; one that trickles is cut at the
// end of its first short window; one that sends nothing at all meets the
// connection's read deadline, two windows after its last good one.
type rateBody struct {
	io.ReadCloser
	ctl     *http.ResponseController
	m       *metrics
	minRate int64
	window  time.Duration
	now     func() time.Time

	start time.Time // of the current window
	n     int64     // bytes read in it
	err   error     // once cut off, every read fails
}

func newRateBody(w http.ResponseWriter, body io.ReadCloser, minRate int64, window time.Duration, m *metrics) io.ReadCloser {
	ctl := http.NewResponseController(w)
	now := time.Now()
	if ctl.SetReadDeadline(now.Add(2*window)) != nil {
		return body
	}
	return &rateBody{ReadCloser: body, ctl: ctl, m: m, minRate: minRate, window: window, now: time.Now, start: now}
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.ctl.SetReadDeadline(time.Time{}) //nolint:errcheck // it was set on this connection before
		return n, err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.m.refused.WithLabelValues("slow_upload").Inc()
		b.err = &SlowUploadError{MinRate: b.minRate, Window: b.window}
		return n, b.err
	}
	if now := b.now(); now.Sub(b.start) >= b.window {
		if float64(b.n) < float64(b.minRate)*now.Sub(b.start).Seconds() {
			b.m.refused.WithLabelValues("slow_upload").Inc()
			b.err = &SlowUploadError{MinRate: b.minRate, Window: b.window}
			// Nothing more is read from this client: the server closes
			// the connection instead of draining the rest of the body.
			b.ctl.SetReadDeadline(now) //nolint:errcheck // it was set on this connection before
			return n, b.err
		}
		b.start, b.n = now, 0
		b.ctl.SetReadDeadline(now.Add(2 * b.window)) //nolint:errcheck // it was set on this connection before
	}
	return n, err
}
