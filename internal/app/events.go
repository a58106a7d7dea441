package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// checkWebhookKey logs, without failing, when tracking sources were
// sealed under another secret key than this process has.
func checkWebhookKey(ctx context.Context, w *monitor.Webhooks, key *keyring.Key, log *slog.Logger) error {
	n, err := w.CheckKey(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		// Not fatal: the rest of the API works, and those webhooks are
		// answered 503 so their providers retry until the key is fixed.
		log.Error("tracking sources were created under another secret key; their webhooks are refused with 503 until this process has that key in SHIPWATCH_SECRET_KEY",
			"sources", n, "key_id", key.ID())
	}
	return nil
}

// secretKey is the key that seals webhook secrets: SHIPWATCH_SECRET_KEY,
// else the key file (created with a new key on first start), else (tests)
// a key that lives as long as the process.
func secretKey(cfg config.Config, log *slog.Logger) (*keyring.Key, error) {
	switch {
	case cfg.SecretKey != "":
		k, err := keyring.Parse(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("SHIPWATCH_SECRET_KEY: %w", err)
		}
		return k, nil
	case cfg.SecretKeyFile != "":
		k, created, err := keyring.LoadFile(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w (set SHIPWATCH_SECRET_KEY or SHIPWATCH_SECRET_KEY_FILE)", err)
		}
		if created {
			log.Warn("generated a secret key to encrypt webhook secrets: back this file up; several replicas must instead share one SHIPWATCH_SECRET_KEY",
				"path", cfg.SecretKeyFile, "key_id", k.ID())
		}
		return k, nil
	}
	k, _, err := keyring.Generate()
	if err != nil {
		return nil, err
	}
	log.Warn("secret key kept in memory only (no SHIPWATCH_SECRET_KEY, no key file): tracking sources made now cannot be read after a restart", "key_id", k.ID())
	return k, nil
}

// checkpointKey is the key evidence checkpoints are signed with: the key
// file (created with a new key on first start), else (tests) a key that
// lives as long as the process. It is never logged; its fingerprint is.
func checkpointKey(cfg config.Config, log *slog.Logger) (ed25519.PrivateKey, error) {
	if cfg.CheckpointKeyFile == "" {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
		log.Warn("checkpoint key kept in memory only (no SHIPWATCH_CHECKPOINT_KEY_FILE): checkpoints signed now cannot be verified after a restart",
			"fingerprint", checkpoint.Fingerprint(k.Public().(ed25519.PublicKey)))
		return k, nil
	}
	k, created, err := checkpoint.LoadKeyFile(cfg.CheckpointKeyFile)
	if err != nil {
		return nil, fmt.Errorf("SHIPWATCH_CHECKPOINT_KEY_FILE: %w", err)
	}
	if created {
		log.Warn("generated the evidence checkpoint signing key: back this file up, keep it out of the database's backups, and give every replica the same file",
			"path", cfg.CheckpointKeyFile, "fingerprint", checkpoint.Fingerprint(k.Public().(ed25519.PublicKey)))
	}
	return k, nil
}
