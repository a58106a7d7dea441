package server

import (
	"crypto/ed25519"
	"net/http"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
)

// CheckpointKeyRoute returns GET /checkpoint-key, for Deps.Routes: the
// public key evidence checkpoints are signed with, to anyone (it is what
// a seller or a marketplace verifies evidence packs with):
//
//	{"algorithm": "Ed25519", "public_key": "<base64 of 32 bytes>", "fingerprint": "<hex SHA-256 of them>"}
func CheckpointKeyRoute(pub ed25519.PublicKey) func(*http.ServeMux) {
	body := map[string]string{"algorithm": "Ed25519", "public_key": checkpoint.EncodePublicKey(pub),
		"fingerprint": checkpoint.Fingerprint(pub)}
	return func(mux *http.ServeMux) {
		mux.HandleFunc("GET /checkpoint-key", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, body)
		})
	}
}
