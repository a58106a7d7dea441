package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// The providers of tracking sources, as stored and as the API spells them.
const (
	ProviderEasyPost       = "EASYPOST"
	ProviderAfterShip      = "AFTERSHIP"
	ProviderSeventeenTrack = "SEVENTEEN_TRACK"
	ProviderShippo         = "SHIPPO"
)

// provider is what Shipwatch knows of one tracking provider's webhooks.
type provider struct {
	// path is the provider's segment of its webhook URL: a public contract.
	path  string
	parse func([]byte) (webhook.Payload, error)
	// numberField is the JSON path of the tracking number, for errors.
	numberField string
}

var providers = map[string]provider{
	ProviderEasyPost:       {"easypost", webhook.ParseEasyPost, "result.tracking_code"},
	ProviderAfterShip:      {"aftership", webhook.ParseAfterShip, "msg.tracking_number"},
	ProviderSeventeenTrack: {"17track", webhook.ParseSeventeenTrack, "data.number"},
	ProviderShippo:         {"shippo", webhook.ParseShippo, "data.tracking_number"},
}

// ParseWebhook reads a provider's webhook body and checks that processing
// can use it: the receiver calls it before storing a delivery, so a 2xx
// means the delivery will turn into events, and the worker calls it again
// on the stored bytes. Errors are *webhook.PayloadError, or
// webhook.ErrUnsupportedEvent for a well-formed webhook that carries no
// tracking.
func ParseWebhook(name string, body []byte) (webhook.Payload, error) {
	prov, ok := providers[name]
	if !ok {
		return webhook.Payload{}, fmt.Errorf("parse webhook: unknown provider %q", name)
	}
	p, err := prov.parse(body)
	if err != nil {
		return p, err
	}
	if len(p.TrackingNumber) > shipment.MaxTrackingNumberLen {
		return p, &webhook.PayloadError{Field: prov.numberField, Message: fmt.Sprintf("is longer than %d characters", shipment.MaxTrackingNumberLen)}
	}
	if tracking.Normalize(p.TrackingNumber) == "" {
		return p, &webhook.PayloadError{Field: prov.numberField, Message: "has no letters or digits"}
	}
	return p, nil
}

// ProcessDeliveries turns stored webhook deliveries into carrier events
// and marks them processed, all in one transaction: a retry after a crash
// or a lost connection finds them unprocessed and does it again, and one
// that runs after a success finds nothing to do.
//
// The transaction commits without waiting for its WAL to reach the disk
// (synchronous_commit off): a crash may forget its last few hundred
// milliseconds, but then it forgets the "processed" marks with the events,
// and the sweep processes those deliveries again from their raw bodies,
// which were committed durably before the sender heard 2xx.
//
// Each source's health (docs/carriers.md) records the batch afterwards, in
// a statement of its own: a health row in the transaction would make
// every batch of a source wait for the one before it.
func (s *Service) ProcessDeliveries(ctx context.Context, ids []int64) error {
	return s.processDeliveries(ctx, func(tx *sqlx.Tx) ([]store.WebhookDelivery, error) {
		return s.store.PendingWebhookDeliveries(ctx, tx, ids)
	})
}

// drainBatch is how many deliveries besides its own a processing job
// takes. Each is one tracking number, so a batch takes at most this many
// tracking-number locks (far fewer once they share buckets), and the
// statements of one batch stay well under a second.
const drainBatch = 256

// DrainDeliveries is ProcessDeliveries for the processing job: it takes
// the deliveries among ids that no other transaction holds and, with
// them, up to drainBatch other unprocessed deliveries, oldest first
// (store.ClaimWebhookDeliveries). Under load the receiver enqueues a job
// for every few webhooks; the first job to run processes what many of
// them were enqueued for in one batch, and the others find it done.
// A delivery held by another transaction is not waited for: that
// transaction processes it, or, if it fails, its job's retry or a later
// job takes it.
func (s *Service) DrainDeliveries(ctx context.Context, ids []int64) error {
	return s.processDeliveries(ctx, func(tx *sqlx.Tx) ([]store.WebhookDelivery, error) {
		return s.store.ClaimWebhookDeliveries(ctx, tx, ids, drainBatch)
	})
}

// processDeliveries processes, in one transaction, the deliveries claim
// locks in it.
func (s *Service) processDeliveries(ctx context.Context, claim func(tx *sqlx.Tx) ([]store.WebhookDelivery, error)) error {
	var outcomes []source.Outcome
	err := s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("process deliveries: %w", err)
		}
		ds, err := claim(tx)
		if err != nil || len(ds) == 0 {
			outcomes = nil
			return err
		}
		outcomes, err = s.processClaimed(ctx, tx, ds)
		return err
	})
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		if err := s.store.RecordSourceOutcome(ctx, o); err != nil {
			return fmt.Errorf("process deliveries: %w", err)
		}
	}
	return nil
}

// sourceOutcomes sums processed deliveries per source: a delivery whose
// body could not be used is a failure; lag is how long after its newest
// event the freshest delivery arrived.
// A usable delivery is also counted for its carrier (carriers[i], "" when
// not known), for the carrier check.
func sourceOutcomes(ds []store.WebhookDelivery, outs []store.WebhookDeliveryOutcome, newest []time.Time, carriers []string, now time.Time) []source.Outcome {
	bySource := map[string]*source.Outcome{}
	byCarrier := map[string]map[string]int{}
	var order []string
	for i, d := range ds {
		o, ok := bySource[d.SourceID]
		if !ok {
			o = &source.Outcome{SellerID: d.SellerID, SourceID: d.SourceID, Kind: source.Webhook, At: now}
			bySource[d.SourceID] = o
			byCarrier[d.SourceID] = map[string]int{}
			order = append(order, d.SourceID)
		}
		if outs[i].Error != "" {
			o.Failed++
			o.Error = d.Provider + " webhook could not be used: " + outs[i].Error
			continue
		}
		o.OK++
		if carriers[i] != "" {
			byCarrier[d.SourceID][carriers[i]]++
		}
		if !newest[i].IsZero() {
			lag := max(0, d.ReceivedAt.Sub(newest[i]))
			if o.Lag == nil || lag < *o.Lag {
				o.Lag = &lag
			}
		}
	}
	res := make([]source.Outcome, 0, len(order))
	for _, id := range order {
		o := bySource[id]
		for c, n := range byCarrier[id] {
			o.Carriers = append(o.Carriers, source.CarrierCount{Carrier: c, Deliveries: n})
		}
		slices.SortFunc(o.Carriers, func(a, b source.CarrierCount) int { return strings.Compare(a.Carrier, b.Carrier) })
		res = append(res, *o)
	}
	return res
}

// deliveryCarrier is the carrier of a webhook's number as the rules name a
// shipment's (flag.ShipmentCarrier): the carrier the number belongs to,
// the provider's carrier helping to decide, else the provider's carrier
// when Shipwatch knows its name; "" when neither tells.
func deliveryCarrier(p webhook.Payload) string {
	declared, _ := tracking.ResolveCarrier(p.Carrier)
	c := tracking.Check(p.TrackingNumber, declared).Carrier
	if c == "" {
		c = declared
	}
	return strings.ToUpper(c)
}

// processClaimed records the events of deliveries whose locks tx holds
// and marks them processed.
func (s *Service) processClaimed(ctx context.Context, tx *sqlx.Tx, ds []store.WebhookDelivery) ([]source.Outcome, error) {
	newest := make([]time.Time, len(ds))
	carriers := make([]string, len(ds))
	outs := make([]store.WebhookDeliveryOutcome, len(ds))
	// stops are TRACKING_STOPPED pushes: the provider will send nothing
	// more for the number, which the seller sees among the source's
	// stopped registrations. They are written last, after the events'
	// locks (docs/locking.md, level 7).
	type stop struct{ sellerID, sourceID, number string }
	var stops []stop
	bySeller := map[string][]shipment.Event{}
	owners := map[string][]int{} // seller -> indexes into outs
	for i, d := range ds {
		outs[i].ID = d.ID
		p, err := ParseWebhook(d.Provider, d.Body)
		var perr *webhook.PayloadError
		switch {
		case errors.Is(err, webhook.ErrUnsupportedEvent):
			continue
		case errors.As(err, &perr):
			// Checked on receipt, so only a parser change can bring this
			// here; the raw delivery stays for a later reprocess.
			outs[i].Error = perr.Error()
			continue
		case err != nil:
			return nil, err
		}
		carriers[i] = deliveryCarrier(p)
		if p.Stopped {
			stops = append(stops, stop{d.SellerID, d.SourceID, tracking.Normalize(p.TrackingNumber)})
			continue
		}
		outs[i].Events = len(p.Events)
		for _, e := range p.Events {
			if e.OccurredAt.After(newest[i]) {
				newest[i] = e.OccurredAt
			}
		}
		bySeller[d.SellerID] = append(bySeller[d.SellerID], p.Events...)
		owners[d.SellerID] = append(owners[d.SellerID], i)
	}
	sellers := make([]string, 0, len(bySeller))
	for id := range bySeller {
		sellers = append(sellers, id)
	}
	slices.Sort(sellers)
	for _, sellerID := range sellers {
		evs := bySeller[sellerID]
		sortForInsert(sellerID, evs)
		_, err := s.RecordEventsTx(ctx, tx, sellerID, evs)
		var ferr *shipment.FieldError
		if errors.As(err, &ferr) {
			for _, i := range owners[sellerID] {
				outs[i].Error, outs[i].Events = ferr.Error(), 0
			}
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(stops, func(a, b stop) int {
		return strings.Compare(a.sourceID+"/"+a.number, b.sourceID+"/"+b.number)
	})
	for _, st := range stops {
		if err := s.store.StopRegistration(ctx, tx, st.sellerID, st.sourceID, st.number); err != nil {
			return nil, err
		}
	}
	if err := s.store.MarkWebhookDeliveriesProcessed(ctx, tx, outs); err != nil {
		return nil, err
	}
	return sourceOutcomes(ds, outs, newest, carriers, s.now()), nil
}

// sortForInsert orders events by number and fingerprint: two batches
// inserting the same events (a provider's resend processed alongside the
// first send) then take their unique-index locks in the same order and
// wait for each other instead of deadlocking.
func sortForInsert(sellerID string, evs []shipment.Event) {
	type keyed struct {
		norm string
		fp   [32]byte
		e    shipment.Event
	}
	ks := make([]keyed, len(evs))
	for i, e := range evs {
		n := tracking.Normalize(e.TrackingNumber)
		ks[i] = keyed{n, shipment.Fingerprint(sellerID, n, e), e}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.norm, b.norm); c != 0 {
			return c
		}
		return bytes.Compare(a.fp[:], b.fp[:])
	})
	for i := range ks {
		evs[i] = ks[i].e
	}
}

// Stale deliveries are swept after this long: longer than a job and its
// first retries take, so the sweep only picks up what a job lost.
const (
	staleDeliveryAge = 2 * time.Minute
	sweepBatch       = 200
	sweepBudget      = 30 * time.Second
)

// SweepDeliveries processes deliveries that have waited longer than a job
// and its first retries should take: their job was lost (the process died
// while the database was away) or keeps failing. Processing is
// idempotent, so racing a late job is harmless.
func (s *Service) SweepDeliveries(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, sweepBudget)
	defer cancel()
	for {
		ids, err := s.store.StaleWebhookDeliveries(ctx, s.now().Add(-staleDeliveryAge), sweepBatch)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := s.ProcessDeliveries(ctx, ids); err != nil {
			return fmt.Errorf("sweep deliveries: %w", err)
		}
		if len(ids) < sweepBatch {
			return nil
		}
	}
}
