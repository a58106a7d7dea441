package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) Env {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(), "")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != "postgres://postgres@127.0.0.1:5432/shipwatch?sslmode=disable" {
		t.Errorf("Load() = %+v, want the documented defaults", c)
	}
}

func TestLoadOverrides(t *testing.T) {
	c, err := Load(env("SHIPWATCH_ADDR", ":9000", "SHIPWATCH_MAX_UPLOAD_BYTES", "2GiB",
		"SHIPWATCH_JOB_POLL_INTERVAL", "100ms", "LOG_FORMAT", "JSON"), ":7000")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if c.Addr != ":7000" {
		t.Errorf("Addr = %q, want the flag to win over the environment", c.Addr)
	}
	if c.MaxUploadBytes != 2<<30 || c.JobPollInterval != 100*time.Millisecond || c.LogFormat != "json" {
		t.Errorf("Load() = %+v", c)
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		env  Env
		want string
	}{
		{env("DATABASE_URL", "mysql://x"), "DATABASE_URL"},
		{env("SHIPWATCH_ADDR", "nowhere"), "listen address"},
		{env("SHIPWATCH_MAX_BODY_BYTES", "lots"), "SHIPWATCH_MAX_BODY_BYTES"},
		{env("SHIPWATCH_MAX_ROW_BYTES", "17MiB"), "SHIPWATCH_MAX_ROW_BYTES"},
		{env("SHIPWATCH_JOB_POLL_INTERVAL", "1ms"), "SHIPWATCH_JOB_POLL_INTERVAL"},
		{env("SHIPWATCH_JOB_WORKERS", "0"), "SHIPWATCH_JOB_WORKERS"},
		{env("LOG_LEVEL", "loud"), "LOG_LEVEL"},
		{env("LOG_FORMAT", "xml"), "LOG_FORMAT"},
		{env("SHIPWATCH_PUBLIC_URL", "ftp://x"), "SHIPWATCH_PUBLIC_URL"},
		{env("SHIPWATCH_17TRACK_URL", "api.17track.net"), "SHIPWATCH_17TRACK_URL"},
		{env("SHIPWATCH_MAX_IMAGE_BYTES", "big"), "SHIPWATCH_MAX_IMAGE_BYTES"},
		{env("SHIPWATCH_EVIDENCE_RETENTION", "2y"), "SHIPWATCH_EVIDENCE_RETENTION"},
		{env("SHIPWATCH_SWEEP_INTERVAL", "10ms"), "SHIPWATCH_SWEEP_INTERVAL"},
		{env("SHIPWATCH_NOTIFY_RETRY_SCHEDULE", "10s,soon"), "SHIPWATCH_NOTIFY_RETRY_SCHEDULE"},
		{env("SHIPWATCH_HEALTH_COMPACT_INTERVAL", "10ms"), "SHIPWATCH_HEALTH_COMPACT_INTERVAL"},
		{env("SHIPWATCH_OUTLOOK_INTERVAL", "10ms"), "SHIPWATCH_OUTLOOK_INTERVAL"},
		{env("SHIPWATCH_OUTLOOK_INTERVAL", "hourly"), "SHIPWATCH_OUTLOOK_INTERVAL"},
		{env("SHIPWATCH_SECRET_KEY", "c2hvcnQ="), "SHIPWATCH_SECRET_KEY"},
		{env("SHIPWATCH_MAX_WEBHOOK_BYTES", "0"), "SHIPWATCH_MAX_WEBHOOK_BYTES"},
		{env("SHIPWATCH_CHECKPOINT_INTERVAL", "100ms"), "SHIPWATCH_CHECKPOINT_INTERVAL"},
		{env("SHIPWATCH_CHECKPOINT_INTERVAL", "every minute"), "SHIPWATCH_CHECKPOINT_INTERVAL"},
		{env("SHIPWATCH_CARRIER_POLL_INTERVAL", "10ms"), "SHIPWATCH_CARRIER_POLL_INTERVAL"},
		{env("SHIPWATCH_CARRIER_ALLOW_CIDRS", "127.0.0.0/8,loopback"), "SHIPWATCH_CARRIER_ALLOW_CIDRS"},
		{env("SHIPWATCH_CARRIER_BUDGETS", "UPS=100"), "SHIPWATCH_CARRIER_BUDGETS"},
		{env("SHIPWATCH_CARRIER_BUDGETS", "DHL=1/2"), "SHIPWATCH_CARRIER_BUDGETS"},
		{env("SHIPWATCH_CARRIER_BUDGETS", "USPS=0/10"), "SHIPWATCH_CARRIER_BUDGETS"},
	}
	for _, tt := range tests {
		_, err := Load(tt.env, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load() error = %v, want one line naming %s", err, tt.want)
		}
	}
}

func TestLoadEvidenceSettings(t *testing.T) {
	c, err := Load(env(), "")
	if err != nil || c.MaxImageBytes != 5<<20 || c.EvidenceRetention != 17520*time.Hour {
		t.Errorf("Load() = %d bytes, %s, %v; want 5 MiB and 17520h (2 years)", c.MaxImageBytes, c.EvidenceRetention, err)
	}
	c, err = Load(env("SHIPWATCH_MAX_IMAGE_BYTES", "512KiB", "SHIPWATCH_EVIDENCE_RETENTION", "26280h"), "")
	if err != nil || c.MaxImageBytes != 512<<10 || c.EvidenceRetention != 26280*time.Hour {
		t.Errorf("Load() = %d bytes, %s, %v; want 512 KiB and 26280h", c.MaxImageBytes, c.EvidenceRetention, err)
	}
}

func TestLoadMonitoring(t *testing.T) {
	c, err := Load(env("SHIPWATCH_SWEEP_INTERVAL", "30s", "SHIPWATCH_NOTIFY_RETRY_SCHEDULE", "1s, 1m"), "")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if c.SweepInterval != 30*time.Second || len(c.NotifyRetrySchedule) != 2 || c.NotifyRetrySchedule[1] != time.Minute {
		t.Errorf("Load() = %+v", c)
	}
	if d, _ := Load(env(), ""); d.SweepInterval != time.Minute || d.NotifyRetrySchedule != nil {
		t.Errorf("Load() defaults = %+v, want a 1m sweep and the default schedule", d)
	}
}

func TestLoadCarrierPolling(t *testing.T) {
	c, err := Load(env("SHIPWATCH_CARRIER_POLL_INTERVAL", "30s", "SHIPWATCH_CARRIER_ALLOW_CIDRS", "127.0.0.0/8, ::1"), "")
	if err != nil || c.CarrierPollInterval != 30*time.Second || len(c.CarrierAllowCIDRs) != 2 {
		t.Errorf("Load() = %s, %v, %v; want 30s and two ranges", c.CarrierPollInterval, c.CarrierAllowCIDRs, err)
	}
	b, err := Load(env("SHIPWATCH_CARRIER_BUDGETS", "usps=120/2880, UPS=5/50"), "")
	if err != nil || b.CarrierBudgets["USPS"] != (Budget{120, 2880}) || b.CarrierBudgets["UPS"] != (Budget{5, 50}) || len(b.CarrierBudgets) != 2 {
		t.Errorf("Load(budgets) = %v, %v", b.CarrierBudgets, err)
	}
	if d, _ := Load(env(), ""); d.CarrierPollInterval != time.Minute || d.CarrierAllowCIDRs != nil || d.CarrierBudgets != nil {
		t.Errorf("Load() defaults = %s, %v; want 1m and no range", d.CarrierPollInterval, d.CarrierAllowCIDRs)
	}
}

func TestLoadSecretKey(t *testing.T) {
	c, err := Load(env("XDG_CONFIG_HOME", "/x"), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretKey != "" || c.SecretKeyFile == "" || !strings.HasSuffix(c.SecretKeyFile, "shipwatch/secret.key") {
		t.Errorf("default key = %q in %q, want a key file in the user's config folder", c.SecretKey, c.SecretKeyFile)
	}
	const key = "c2hpcHdhdGNoLWRldmVsb3BtZW50LWtleS0wMDAwMDA="
	c, err = Load(env("SHIPWATCH_SECRET_KEY", key, "SHIPWATCH_SECRET_KEY_FILE", "/etc/shipwatch/key", "SHIPWATCH_MAX_WEBHOOK_BYTES", "64KiB"), "")
	if err != nil || c.SecretKey != key || c.SecretKeyFile != "/etc/shipwatch/key" || c.MaxWebhookBytes != 64<<10 {
		t.Errorf("Load() = %+v, %v", c, err)
	}
	_, err = Load(env("SHIPWATCH_SECRET_KEY", "dG9vIHNob3J0"), "")
	if err == nil || strings.Contains(err.Error(), "dG9vIHNob3J0") {
		t.Errorf("Load(short key) error = %v, want one that does not repeat the key", err)
	}
}

func TestLoadCheckpoints(t *testing.T) {
	c, err := Load(env(), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.CheckpointInterval != time.Minute || !strings.HasSuffix(c.CheckpointKeyFile, "checkpoint.key") {
		t.Errorf("Load() = %s, %q; want 1m and a checkpoint.key file", c.CheckpointInterval, c.CheckpointKeyFile)
	}
	c, err = Load(env("SHIPWATCH_CHECKPOINT_INTERVAL", "5s", "SHIPWATCH_CHECKPOINT_KEY_FILE", "/var/lib/shipwatch/checkpoint.key"), "")
	if err != nil || c.CheckpointInterval != 5*time.Second || c.CheckpointKeyFile != "/var/lib/shipwatch/checkpoint.key" {
		t.Errorf("Load() = %s, %q, %v", c.CheckpointInterval, c.CheckpointKeyFile, err)
	}
}

func TestNotifyAllowCIDRs(t *testing.T) {
	env := func(v string) Env {
		return func(k string) string {
			if k == "SHIPWATCH_NOTIFY_ALLOW_CIDRS" {
				return v
			}
			return ""
		}
	}
	c, err := Load(env("10.0.0.0/8, ::1, 192.168.1.7/24"), "")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if got := fmt.Sprint(c.NotifyAllowCIDRs); got != "[10.0.0.0/8 ::1/128 192.168.1.0/24]" {
		t.Errorf("NotifyAllowCIDRs = %s", got)
	}
	if _, err := Load(env("10.0.0.0/8,nope"), ""); err == nil || !strings.Contains(err.Error(), "SHIPWATCH_NOTIFY_ALLOW_CIDRS") {
		t.Errorf("Load(bad CIDR) error = %v, want one naming SHIPWATCH_NOTIFY_ALLOW_CIDRS", err)
	}
}

// TestDatabaseURLErrorHidesValue: a malformed DATABASE_URL may still hold
// the database password, so the error never repeats it.
func TestDatabaseURLErrorHidesValue(t *testing.T) {
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return "mysql://app:s3cret-pass@db/shipwatch"
		}
		return ""
	}
	_, err := DatabaseURL(env)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("DatabaseURL() error = %v, want one that hides the value", err)
	}
}
