package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
)

func envWith(kv map[string]string) config.Env {
	return func(k string) string { return kv[k] }
}

func runCmd(t *testing.T, getenv config.Env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestHelpExplainsEveryCommand(t *testing.T) {
	env := envWith(nil)
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"seller", "--help"},
		{"apikey", "--help"}, {"tracking", "check", "--help"}, {"simulate", "--help"}, {"demo", "--help"},
		{"evidence", "verify", "--help"}, {"checkpoint-key", "--help"}} {
		code, out, errOut := runCmd(t, env, args...)
		if code != 0 || !strings.Contains(out+errOut, "Usage") {
			t.Errorf("shipwatch %v = exit %d, output %q; want 0 and a usage text", args, code, out+errOut)
		}
	}
}

func TestBadConfigurationIsOneLineAndExit2(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"DATABASE_URL": "mysql://nope"}, []string{"serve"}, "DATABASE_URL"},
		{map[string]string{"SHIPWATCH_ADDR": "eighty"}, []string{"serve"}, "listen address"},
		{map[string]string{"SHIPWATCH_JOB_WORKERS": "-1"}, []string{"serve"}, "SHIPWATCH_JOB_WORKERS"},
		{nil, []string{"serve", "--port", "1"}, "flag provided but not defined"},
		{nil, []string{"frobnicate"}, "unknown command"},
		{nil, []string{"seller", "create"}, "--name is required"},
		{map[string]string{"DATABASE_URL": "mysql://nope"}, []string{"migrate"}, "DATABASE_URL"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, envWith(tt.env), tt.args...)
		first := strings.SplitN(strings.TrimSpace(errOut), "\n", 2)[0]
		if code != 2 || !strings.Contains(first, tt.want) {
			t.Errorf("shipwatch %v with %v = exit %d, %q; want exit 2 and one line naming %q", tt.args, tt.env, code, errOut, tt.want)
		}
	}
}

func TestSellerAndAPIKeyCommands(t *testing.T) {
	env := envWith(map[string]string{"DATABASE_URL": dbtest.URL(t)})
	code, out, errOut := runCmd(t, env, "seller", "create", "--name", "Acme Outdoor")
	if code != 0 {
		t.Fatalf("seller create = %d: %s", code, errOut)
	}
	var created struct {
		SellerID string `json:"seller_id"`
		APIKey   string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.SellerID == "" || !strings.HasPrefix(created.APIKey, "sw_") {
		t.Fatalf("seller create printed %q (%v), want one JSON object with seller_id and api_key", out, err)
	}

	code, out, errOut = runCmd(t, env, "apikey", "create", "--seller", created.SellerID)
	var second struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &second) != nil || second.APIKey == created.APIKey {
		t.Fatalf("apikey create = %d %q %s", code, out, errOut)
	}

	code, _, _ = runCmd(t, env, "apikey", "revoke", second.ID)
	if code != 0 {
		t.Fatalf("apikey revoke = %d", code)
	}
	code, out, _ = runCmd(t, env, "apikey", "list", "--seller", created.SellerID)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("apikey list = %d, %q; want two keys", code, out)
	}
	if strings.Contains(out, created.APIKey[12:]) || strings.Contains(out, second.APIKey[12:]) {
		t.Errorf("apikey list shows a secret: %s", out)
	}
	if !strings.Contains(lines[1], `"revoked_at":"`) || !strings.Contains(lines[0], `"revoked_at":null`) {
		t.Errorf("apikey list = %s; want the second key revoked, the first not", out)
	}

	code, _, errOut = runCmd(t, env, "apikey", "create", "--seller", "00000000-0000-0000-0000-000000000000")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("apikey create for an unknown seller = %d %q", code, errOut)
	}
}
