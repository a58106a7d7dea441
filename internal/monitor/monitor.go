// Package monitor holds Shipwatch's use cases: each one validates what a
// seller sent, writes it, and enqueues the work it causes in the same
// transaction, so a write and its follow-up jobs commit or fail together.
package monitor

import (
	"github.com/shipwatch/shipwatch/internal/store"
)

// Service runs the use cases over one store.
type Service struct {
	store *store.Store
}

// New returns a Service.
func New(st *store.Store) *Service {
	return &Service{store: st}
}
