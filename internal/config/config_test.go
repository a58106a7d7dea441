package config

import (
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
	}
	for _, tt := range tests {
		_, err := Load(tt.env, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load() error = %v, want one line naming %s", err, tt.want)
		}
	}
}
