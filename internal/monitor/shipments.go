package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// MaxBatch is the most shipments or events one call may carry.
const MaxBatch = 1000

// ItemResult is the outcome of one item of a batch: a shipment, or the
// field error that rejected it.
type ItemResult struct {
	Shipment *store.Shipment
	Created  bool
	Err      *shipment.FieldError
}

// write turns a seller's input into a store write: cleaned, validated,
// carrier resolved, number normalised and checked.
func write(in shipment.Input) (store.ShipmentWrite, *shipment.FieldError) {
	in = in.Clean()
	if err := in.Validate(); err != nil {
		return store.ShipmentWrite{}, err
	}
	w := store.ShipmentWrite{
		OrderID: in.OrderID, TrackingNumber: in.TrackingNumber, Service: in.Service,
		ShipBy: in.ShipBy, ShippedAt: in.ShippedAt, DeliverBy: in.DeliverBy,
		DestinationPostalCode: in.PostalCode, DestinationCountry: in.Country,
		OriginPostalCode: in.Origin.PostalCode, OriginCountry: in.Origin.Country,
	}
	if in.Carrier != "" {
		code, ok := tracking.ResolveCarrier(in.Carrier)
		if !ok {
			return store.ShipmentWrite{}, &shipment.FieldError{Field: "carrier", Message: clip.Quote(in.Carrier) + " is not a known carrier"}
		}
		w.Carrier = code
	}
	if in.TrackingNumber == "" {
		return w, nil
	}
	check := tracking.Check(in.TrackingNumber, w.Carrier)
	if check.Normalized == "" {
		return store.ShipmentWrite{}, &shipment.FieldError{Field: "trackingNumber", Message: "has no letters or digits"}
	}
	w.NormalizedTrackingNumber = check.Normalized
	w.TrackingValid = check.Valid
	w.TrackingReason = string(check.Reason)
	w.TrackingCarrier = check.Carrier
	return w, nil
}

// CreateShipments creates or replaces shipments by their identity. Each
// item succeeds or fails alone; items repeating an identity within the
// batch resolve to one shipment, the last one's fields winning.
func (s *Service) CreateShipments(ctx context.Context, sellerID string, inputs []shipment.Input) ([]ItemResult, error) {
	if len(inputs) > MaxBatch {
		return nil, &shipment.FieldError{Field: "input", Message: fmt.Sprintf("has %d items; at most %d at once", len(inputs), MaxBatch)}
	}
	results := make([]ItemResult, len(inputs))
	type identity struct{ order, number string }
	slot := map[identity]int{} // identity -> index into writes
	var writes []store.ShipmentWrite
	owner := make([]int, len(inputs)) // item -> index into writes, -1 when rejected
	for i, in := range inputs {
		w, ferr := write(in)
		if ferr != nil {
			results[i].Err, owner[i] = ferr, -1
			continue
		}
		key := identity{w.OrderID, w.NormalizedTrackingNumber}
		j, seen := slot[key]
		if !seen {
			j = len(writes)
			slot[key] = j
			writes = append(writes, w)
		}
		writes[j] = w
		owner[i] = j
	}
	var upserted []store.Upserted
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := s.store.LockTrackingNumbers(ctx, tx, sellerID, numbersOf(writes)); err != nil {
			return err
		}
		var err error
		if upserted, err = s.store.UpsertShipments(ctx, tx, sellerID, writes); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, sellerID, numbersOf(writes))
	})
	if err != nil {
		return nil, fmt.Errorf("create shipments: %w", err)
	}
	if len(writes) > 0 {
		if upserted, err = s.reread(ctx, sellerID, upserted); err != nil {
			return nil, err
		}
	}
	counted := map[int]bool{}
	for i, j := range owner {
		if j < 0 {
			continue
		}
		sh := upserted[j].Shipment
		results[i].Shipment = &sh
		results[i].Created = upserted[j].Created && !counted[j]
		counted[j] = true
	}
	return results, nil
}

// reread loads shipments again after their derived state was refreshed.
func (s *Service) reread(ctx context.Context, sellerID string, ups []store.Upserted) ([]store.Upserted, error) {
	ids := make([]string, len(ups))
	for i, u := range ups {
		ids[i] = u.Shipment.ID
	}
	fresh, err := s.store.ShipmentsByID(ctx, sellerID, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.Shipment, len(fresh))
	for _, sh := range fresh {
		byID[sh.ID] = sh
	}
	for i := range ups {
		if sh, ok := byID[ups[i].Shipment.ID]; ok {
			ups[i].Shipment = sh
		}
	}
	return ups, nil
}

// UpdateShipment applies a change to a shipment's seller-given fields. A
// changed tracking number is normalised and checked again.
func (s *Service) UpdateShipment(ctx context.Context, sellerID, id string, change func(*shipment.Input)) (store.Shipment, error) {
	var out store.Shipment
	// Lock the current number before the row, as event writers do; a
	// new number is not yet this shipment's, so locking it after is safe.
	before, err := s.store.Shipment(ctx, sellerID, id)
	if err != nil {
		return store.Shipment{}, fmt.Errorf("update shipment: %w", err)
	}
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := s.store.LockTrackingNumbers(ctx, tx, sellerID, []string{before.NormalizedTrackingNumber}); err != nil {
			return err
		}
		cur, err := s.store.ShipmentForUpdate(ctx, tx, sellerID, id)
		if err != nil {
			return err
		}
		in := shipment.Input{
			OrderID: cur.OrderID, Carrier: cur.Carrier, TrackingNumber: cur.TrackingNumber, Service: cur.Service,
			ShipBy: cur.ShipBy, ShippedAt: cur.ShippedAt, DeliverBy: cur.DeliverBy,
			PostalCode: cur.DestinationPostalCode, Country: cur.DestinationCountry,
			Origin: shipment.Place{PostalCode: cur.OriginPostalCode, Country: cur.OriginCountry},
		}
		change(&in)
		w, ferr := write(in)
		if ferr != nil {
			return ferr
		}
		if err := s.store.LockTrackingNumbers(ctx, tx, sellerID, []string{cur.NormalizedTrackingNumber, w.NormalizedTrackingNumber}); err != nil {
			return err
		}
		if _, err := s.store.UpdateShipment(ctx, tx, sellerID, id, w); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, sellerID, []string{cur.NormalizedTrackingNumber, w.NormalizedTrackingNumber})
	})
	if err != nil {
		return store.Shipment{}, fmt.Errorf("update shipment: %w", err)
	}
	if out, err = s.store.Shipment(ctx, sellerID, id); err != nil {
		return store.Shipment{}, fmt.Errorf("update shipment: %w", err)
	}
	return out, nil
}

// CancelShipment stops watching a shipment, cancelled by the seller or at
// the buyer's request (which marketplaces do not count against the seller).
func (s *Service) CancelShipment(ctx context.Context, sellerID, id string, by shipment.CancelledBy) (store.Shipment, error) {
	if !by.Valid() {
		return store.Shipment{}, &shipment.FieldError{Field: "by", Message: "must be SELLER or BUYER"}
	}
	var out store.Shipment
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		var err error
		if out, err = s.store.CancelShipment(ctx, tx, sellerID, id, string(by)); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, sellerID, []string{out.NormalizedTrackingNumber})
	})
	if err != nil {
		return store.Shipment{}, fmt.Errorf("cancel shipment: %w", err)
	}
	return out, nil
}

// RecordReturn records when the buyer returned a shipment (nil clears it).
// A return cannot precede the delivery it returns, nor be in the future.
func (s *Service) RecordReturn(ctx context.Context, sellerID, id string, at *time.Time, now time.Time) (store.Shipment, error) {
	if at != nil && at.After(now.Add(maxClockSkew)) {
		return store.Shipment{}, &shipment.FieldError{Field: "returnedAt", Message: "is in the future"}
	}
	var out store.Shipment
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		cur, err := s.store.ShipmentForUpdate(ctx, tx, sellerID, id)
		if err != nil {
			return err
		}
		if at != nil && cur.DeliveredAt != nil && at.Before(*cur.DeliveredAt) {
			return &shipment.FieldError{Field: "returnedAt", Message: fmt.Sprintf("is before the delivery (%s)", cur.DeliveredAt.UTC().Format(time.RFC3339))}
		}
		out, err = s.store.RecordReturn(ctx, tx, sellerID, id, at)
		return err
	})
	if err != nil {
		return store.Shipment{}, fmt.Errorf("record return: %w", err)
	}
	return out, nil
}

// maxClockSkew is how far in the future a seller's clock may put a return.
const maxClockSkew = 5 * time.Minute

// afterWrite brings the written shipments' event-derived state up to date
// (events may have arrived before the shipment did) and enqueues the
// monitoring the write causes.
func (s *Service) afterWrite(ctx context.Context, tx *sqlx.Tx, sellerID string, numbers []string) error {
	changes, err := s.store.RefreshShipments(ctx, tx, sellerID, nonEmpty(numbers))
	if err != nil {
		return err
	}
	if err := s.queueRegistrations(ctx, tx, sellerID, numbers); err != nil {
		return err
	}
	return s.watch(ctx, tx, sellerID, numbers, changes)
}

// checkWritten is afterWrite for a file import's batch: instead of
// queueing checks, it runs every rule on the written shipments (and those
// sharing their numbers) in the batch's transaction, so the batch's rows
// commit with their flags and the import's COMPLETED means checked. The
// import never fills the shared check queue, so it cannot delay another
// seller's checks (docs/locking.md: the batch holds its rows' locks, and
// a batch sharing a number with one in flight waits for it to commit).
func (s *Service) checkWritten(ctx context.Context, tx *sqlx.Tx, sellerID string, numbers []string, clk *stepClock) error {
	if err := s.store.PrepareRuleTx(ctx, tx, true); err != nil {
		return err
	}
	// The refresh locks every shipment carrying these numbers, in
	// ascending id, and returns them: the shipments to check.
	ids, changes, err := s.store.RefreshWritten(ctx, tx, sellerID, nonEmpty(numbers))
	if err != nil {
		return err
	}
	if err := s.announceStatus(ctx, tx, sellerID, changes); err != nil {
		return err
	}
	clk.lap(StepRefresh)
	if err := s.queueRegistrations(ctx, tx, sellerID, numbers); err != nil {
		return err
	}
	clk.lap(StepRegistrations)
	return s.checkLockedTimed(ctx, tx, sellerID, ids, clk)
}

func numbersOf(ws []store.ShipmentWrite) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.NormalizedTrackingNumber)
	}
	return out
}

func nonEmpty(v []string) []string {
	out := v[:0:0]
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
