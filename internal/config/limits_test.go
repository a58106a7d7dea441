package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

// A size, duration or count that overflows, or lies outside its range,
// stops the server naming the variable; it never wraps.
func TestLoadRefusesOverflow(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"SHIPWATCH_MAX_BODY_BYTES", "8589934592GiB"},
		{"SHIPWATCH_MAX_BODY_BYTES", "9223372036854775807"},
		{"SHIPWATCH_MAX_BODY_BYTES", "99999999999999999999"},
		{"SHIPWATCH_MAX_BODY_BYTES", "1025GiB"},
		{"SHIPWATCH_MAX_UPLOAD_BYTES", "17179869184MiB"},
		{"SHIPWATCH_MAX_ROW_BYTES", "9007199254740992KiB"},
		{"SHIPWATCH_MAX_IMAGE_BYTES", "-1"},
		{"SHIPWATCH_MAX_WEBHOOK_BYTES", "-8589934592GiB"},
		{"SHIPWATCH_UPLOAD_MIN_RATE", "8589934592GiB"},
		{"SHIPWATCH_JOB_WORKERS", "9223372036854775808"},
		{"SHIPWATCH_JOB_WORKERS", "10001"},
		{"SHIPWATCH_SWEEP_INTERVAL", "9999999999h"},
		{"SHIPWATCH_EVIDENCE_RETENTION", "2562048h"},
		{"SHIPWATCH_EVIDENCE_RETENTION", "876601h"},
		{"SHIPWATCH_NOTIFY_RETRY_SCHEDULE", "1s,9999999h"},
		{"SHIPWATCH_BODY_TIMEOUT", "0s"},
		{"SHIPWATCH_RATE_KEY", "1e400"},
		{"SHIPWATCH_RATE_KEY", "NaN"},
		{"SHIPWATCH_RATE_KEY", "-1"},
		{"SHIPWATCH_RATE_ADDRESS_BURST", "4294967296"},
		{"SHIPWATCH_RATE_WEBHOOK_BURST", "-5"},
		{"SHIPWATCH_TRUSTED_PROXIES", "10.0.0.0/33"},
	} {
		_, err := Load(env(tc.name, tc.value), "")
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+"=") {
			t.Errorf("Load(%s=%s) error = %v, want one naming %s", tc.name, tc.value, err, tc.name)
		}
	}
}

func TestLoadLimits(t *testing.T) {
	c, err := Load(env("SHIPWATCH_RATE_ADDRESS", "0", "SHIPWATCH_RATE_KEY", "2.5", "SHIPWATCH_RATE_KEY_BURST", "7",
		"SHIPWATCH_UPLOAD_MIN_RATE", "1KiB", "SHIPWATCH_UPLOAD_RATE_WINDOW", "1m", "SHIPWATCH_BODY_TIMEOUT", "5s",
		"SHIPWATCH_TRUSTED_PROXIES", "10.0.0.1, fd00::/8", "SHIPWATCH_MAX_BODY_BYTES", "1024GiB"), "")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if !c.RateAddress.Off() || c.RateKey != (Rate{2.5, 7}) || c.UploadMinRate != 1024 || c.UploadRateWindow != time.Minute ||
		c.BodyTimeout != 5*time.Second || len(c.TrustedProxies) != 2 || c.MaxBodyBytes != MaxSize {
		t.Errorf("Load() = %+v", c.Limits)
	}
	d := Default()
	if d.RateAddress.Off() || d.RateKey.Off() || d.RateWebhook.Off() || d.TrustedProxies != nil {
		t.Errorf("Default() limits = %+v, want every rate on and no trusted proxy", d.Limits)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1", "512KiB", "4MiB", "1GiB", "8589934592GiB", "1024GiB", "-1", " 3 KiB", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseSize(s)
		if ok && (n < 1 || n > MaxSize) {
			t.Fatalf("parseSize(%q) = %d, want 1..%d", s, n, int64(MaxSize))
		}
	})
}

// FuzzLoad sets every kind of setting (sizes, durations, duration lists,
// counts, rates, CIDR lists, choices) to the same text: Load never panics,
// and what it accepts is in range.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{"1", "4MiB", "30s", "10.0.0.0/8,::1", "0", "1e9", "json", "8589934592GiB", "-1ns", "1s,2s"} {
		f.Add(s)
	}
	names := []string{"SHIPWATCH_MAX_BODY_BYTES", "SHIPWATCH_MAX_UPLOAD_BYTES", "SHIPWATCH_MAX_ROW_BYTES",
		"SHIPWATCH_MAX_IMAGE_BYTES", "SHIPWATCH_MAX_WEBHOOK_BYTES", "SHIPWATCH_UPLOAD_MIN_RATE",
		"SHIPWATCH_JOB_POLL_INTERVAL", "SHIPWATCH_SHUTDOWN_TIMEOUT", "SHIPWATCH_EVIDENCE_RETENTION",
		"SHIPWATCH_SWEEP_INTERVAL", "SHIPWATCH_HEALTH_COMPACT_INTERVAL", "SHIPWATCH_OUTLOOK_INTERVAL",
		"SHIPWATCH_BODY_TIMEOUT",
		"SHIPWATCH_READ_HEADER_TIMEOUT", "SHIPWATCH_UPLOAD_RATE_WINDOW", "SHIPWATCH_NOTIFY_RETRY_SCHEDULE",
		"SHIPWATCH_JOB_WORKERS", "SHIPWATCH_RATE_ADDRESS", "SHIPWATCH_RATE_ADDRESS_BURST", "SHIPWATCH_RATE_KEY",
		"SHIPWATCH_RATE_KEY_BURST", "SHIPWATCH_RATE_WEBHOOK", "SHIPWATCH_RATE_WEBHOOK_BURST",
		"SHIPWATCH_TRUSTED_PROXIES", "SHIPWATCH_NOTIFY_ALLOW_CIDRS", "LOG_FORMAT", "LOG_LEVEL"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range names {
			c, err := Load(env(name, s), "")
			if err != nil {
				if !strings.HasPrefix(err.Error(), name+"=") || len(err.Error()) > 1024 {
					t.Fatalf("Load(%s=%q) error = %.200q, want one short line naming the setting", name, s, err)
				}
				continue
			}
			for _, n := range []int64{c.MaxBodyBytes, c.MaxUploadBytes, int64(c.MaxRowBytes), c.MaxImageBytes, c.MaxWebhookBytes, c.UploadMinRate} {
				if n < 1 || n > MaxSize {
					t.Fatalf("Load(%s=%q) gave a size of %d", name, s, n)
				}
			}
			ds := append([]time.Duration{c.JobPollInterval, c.ShutdownTimeout, c.EvidenceRetention, c.SweepInterval,
				c.HealthCompactInterval, c.OutlookInterval, c.BodyTimeout, c.ReadHeaderTimeout, c.UploadRateWindow}, c.NotifyRetrySchedule...)
			for _, d := range ds {
				if d <= 0 || d > MaxDuration {
					t.Fatalf("Load(%s=%q) gave a duration of %v", name, s, d)
				}
			}
			for _, r := range []Rate{c.RateAddress, c.RateKey, c.RateWebhook} {
				if math.IsNaN(r.PerSecond) || r.PerSecond < 0 || r.PerSecond > MaxRate || r.Burst < 0 || r.Burst > MaxRate {
					t.Fatalf("Load(%s=%q) gave a rate of %+v", name, s, r)
				}
			}
			if c.JobWorkers < 1 || c.JobWorkers > 10000 {
				t.Fatalf("Load(%s=%q) gave %d job workers", name, s, c.JobWorkers)
			}
		}
	})
}
