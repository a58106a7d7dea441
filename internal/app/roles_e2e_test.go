package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestSuperuserURLSetsUpRoles: given only a superuser, the server sets up
// the roles, says so in one log line and serves as the app role, which
// may not change evidence.
func TestSuperuserURLSetsUpRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	cfg := config.Default()
	cfg.DatabaseURL = dbtest.SuperuserURL(dbtest.URL(t))
	cfg.SecretKey = apptest.TestSecretKey
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("app.New() with a superuser URL: %v", err)
	}
	defer a.Close()
	if n := strings.Count(logs.String(), "database roles set up"); n != 1 {
		t.Errorf("log has %d lines saying the roles were set up, want 1:\n%s", n, logs.String())
	}
	var role string
	var super bool
	if err := a.DB.QueryRowContext(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super); err != nil {
		t.Fatal(err)
	}
	if role != store.AppRole || super {
		t.Errorf("the server serves as %s (superuser %v), want %s", role, super, store.AppRole)
	}
	if _, err := a.DB.ExecContext(ctx, `DELETE FROM tracking_events`); err == nil {
		t.Errorf("the server's pool may DELETE FROM tracking_events, want refused")
	}
}

// TestUnsafeRoleRefused: a DATABASE_URL that could change evidence (the
// tables' owner) without a migration URL is refused at start, by name.
func TestUnsafeRoleRefused(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.DatabaseURL = dbtest.OwnerURL(dbtest.URL(t))
	cfg.SecretKey = apptest.TestSecretKey
	_, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if !errors.Is(err, store.ErrUnsafeRole) || !strings.Contains(err.Error(), store.OwnerRole) {
		t.Errorf("app.New() as the owner = %v, want ErrUnsafeRole naming %s", err, store.OwnerRole)
	}
}
