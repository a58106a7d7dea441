package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/track17"
)

// Registrar registers tracking numbers with a provider's account: 17TRACK
// (track17.Client).
type Registrar interface {
	Register(ctx context.Context, key string, numbers []string) (track17.Result, error)
}

// Limiter keeps an account key within its provider's request rate.
type Limiter interface {
	Wait(ctx context.Context, key string) error
}

// WithRegistrar sets what registers numbers with 17TRACK, and the limiter
// every registration call of this process waits on.
func WithRegistrar(r Registrar, l Limiter) Option {
	return func(s *Service) { s.registrar, s.limiter = r, l }
}

// Limits of one registration job.
const (
	// registrationLease is how long a job holds the numbers it sends: a
	// job that dies leaves them to the next one after that.
	registrationLease = 2 * time.Minute
	// registrationBudget bounds one job's run; what is left goes to a
	// job enqueued for the rest. At 3 calls a second of 40 numbers, that
	// is about 3,600 numbers a job.
	registrationBudget = 30 * time.Second
)

// ErrRegistrationRateLimited means the provider answered 429: the job waits
// RetryAfter and tries again.
type ErrRegistrationRateLimited struct{ RetryAfter time.Duration }

func (e *ErrRegistrationRateLimited) Error() string {
	return fmt.Sprintf("17track rate limit: retry in %s", e.RetryAfter)
}

// Wait is how long to wait before trying again.
func (e *ErrRegistrationRateLimited) Wait() time.Duration { return e.RetryAfter }

// ErrRegistrationHalted means the provider refused the account (a bad key,
// a spent quota): retrying cannot help until the seller acts, so the job
// stops; the error is on the source for the seller to read.
var ErrRegistrationHalted = errors.New("17track refused the account: see the source's lastError")

// queueRegistrations queues the written numbers with each of the seller's
// sources that registers uploads, and enqueues one job per source that
// got new numbers, in the write's transaction.
func (s *Service) queueRegistrations(ctx context.Context, tx *sqlx.Tx, sellerID string, numbers []string) error {
	sources, err := s.store.QueueRegistrations(ctx, tx, sellerID, numbers)
	if err != nil {
		return err
	}
	for _, id := range sources {
		if _, err := s.jobs.InsertTx(ctx, tx.Tx, jobs.RegisterArgs{SellerID: sellerID, SourceID: id}, nil); err != nil {
			return fmt.Errorf("enqueue registration: %w", err)
		}
	}
	return nil
}

// RegisterPending sends a source's pending numbers to 17TRACK, at most
// track17.MaxNumbers a call, each call waiting on the process's limiter,
// until none is left or the job's budget is spent (then it says so with
// more). Each number ends REGISTERED (accepted, or registered before),
// REJECTED with 17TRACK's reason, or PENDING again when the call failed.
// A deleted source, or one no longer registering, is left alone.
func (s *Service) RegisterPending(ctx context.Context, sellerID, sourceID string) (more bool, err error) {
	if s.registrar == nil {
		return false, errors.New("register: no 17track client configured")
	}
	src, err := s.store.TrackingSource(ctx, sellerID, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !src.AutoRegister || src.Provider != ProviderSeventeenTrack {
		return false, nil
	}
	key, err := s.key.Open(src.SecretSealed, sealContext(src.SellerID, src.Provider))
	if err != nil {
		return false, fmt.Errorf("register: source %s: %w", sourceID, err)
	}
	deadline := s.now().Add(registrationBudget)
	for {
		if s.now().After(deadline) {
			return true, nil
		}
		batch, err := s.store.ClaimRegistrations(ctx, sellerID, sourceID, track17.MaxNumbers, registrationLease)
		if err != nil || len(batch) == 0 {
			return false, err
		}
		if err := s.limiter.Wait(ctx, string(key)); err != nil {
			return false, errors.Join(err, s.release(context.WithoutCancel(ctx), sellerID, sourceID, batch))
		}
		if err := s.registerBatch(ctx, src, string(key), batch); err != nil {
			return false, err
		}
	}
}

// registerBatch makes one register call and records its outcome.
func (s *Service) registerBatch(ctx context.Context, src store.TrackingSource, key string, batch []store.Registration) error {
	numbers := make([]string, len(batch))
	byNumber := make(map[string]int64, len(batch))
	for i, r := range batch {
		numbers[i] = r.NormalizedTrackingNumber
		byNumber[r.NormalizedTrackingNumber] = r.ID
	}
	res, err := s.registrar.Register(ctx, key, numbers)
	var apiErr *track17.Error
	if errors.As(err, &apiErr) {
		release := s.release(context.WithoutCancel(ctx), src.SellerID, src.ID, batch)
		if apiErr.RateLimited() {
			return errors.Join(&ErrRegistrationRateLimited{RetryAfter: max(apiErr.RetryAfter, time.Second)}, release)
		}
		if apiErr.Retryable() {
			return errors.Join(fmt.Errorf("register: %w", apiErr), release)
		}
		return errors.Join(ErrRegistrationHalted, release, s.store.RecordSourceError(ctx, src.SellerID, src.ID, apiErr.Error()))
	}
	if err != nil {
		return errors.Join(fmt.Errorf("register: %w", err), s.release(context.WithoutCancel(ctx), src.SellerID, src.ID, batch))
	}
	outs := make([]store.RegistrationOutcome, 0, len(batch))
	var quota string
	for _, n := range res.Accepted {
		if id, ok := byNumber[n]; ok {
			outs = append(outs, store.RegistrationOutcome{ID: id, State: store.RegistrationRegistered})
			delete(byNumber, n)
		}
	}
	for _, r := range res.Rejected {
		id, ok := byNumber[r.Number]
		if !ok {
			continue
		}
		delete(byNumber, r.Number)
		code := r.Code
		switch {
		case code == track17.CodeAlreadyRegistered:
			outs = append(outs, store.RegistrationOutcome{ID: id, State: store.RegistrationRegistered, Code: &code, Message: r.Message})
		case track17.IsQuota(r.Message):
			// Not the number's fault: it waits for the seller's quota.
			quota = fmt.Sprintf("17track code %d: %s", code, r.Message)
			outs = append(outs, store.RegistrationOutcome{ID: id, State: store.RegistrationPending})
		default:
			outs = append(outs, store.RegistrationOutcome{ID: id, State: store.RegistrationRejected, Code: &code, Message: r.Message})
		}
	}
	for _, id := range byNumber { // neither accepted nor rejected: ask again later
		outs = append(outs, store.RegistrationOutcome{ID: id, State: store.RegistrationPending})
	}
	if err := s.store.SaveRegistrations(ctx, src.SellerID, src.ID, outs); err != nil {
		return err
	}
	if quota != "" {
		return errors.Join(ErrRegistrationHalted, s.store.RecordSourceError(ctx, src.SellerID, src.ID, quota))
	}
	return s.store.RecordSourceSuccess(ctx, src.SellerID, src.ID)
}

// release gives a batch back for a later attempt.
func (s *Service) release(ctx context.Context, sellerID, sourceID string, batch []store.Registration) error {
	outs := make([]store.RegistrationOutcome, len(batch))
	for i, r := range batch {
		outs[i] = store.RegistrationOutcome{ID: r.ID, State: store.RegistrationPending}
	}
	return s.store.SaveRegistrations(ctx, sellerID, sourceID, outs)
}
