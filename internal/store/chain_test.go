package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

const number = "1Z999AA10123456784"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a store on a fresh database with one seller.
type fixture struct {
	t      *testing.T
	url    string
	db     *sqlx.DB // the app role, as the server
	super  *sqlx.DB // the superuser, to tamper
	st     *store.Store
	seller string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	url := dbtest.URL(t)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	s, err := st.InsertSeller(context.Background(), "Northwind")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, url: url, db: db, super: dbtest.Superuser(t, url), st: st, seller: s.ID}
}

func ev(when string, status shipment.Status, desc string) store.NewEvent {
	return store.NewEvent{Normalized: number, Event: shipment.Event{
		TrackingNumber: number, OccurredAt: at(when), Status: status, Description: desc,
		Source: shipment.SourceEasyPost, Location: shipment.Location{City: "Portland", Country: "US"},
	}}
}

// insert stores events in one transaction, as RecordEventsTx does.
func (f *fixture) insert(evs ...store.NewEvent) []store.Event {
	f.t.Helper()
	var out []store.Event
	err := f.st.Transact(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		out, err = f.st.InsertEvents(context.Background(), tx, f.seller, evs)
		return err
	})
	if err != nil {
		f.t.Fatalf("InsertEvents() error = %v", err)
	}
	return out
}

func (f *fixture) proofs(ps ...store.NewProof) []store.Proof {
	f.t.Helper()
	var out []store.Proof
	err := f.st.Transact(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		out, err = f.st.InsertProofs(context.Background(), tx, f.seller, ps)
		return err
	})
	if err != nil {
		f.t.Fatalf("InsertProofs() error = %v", err)
	}
	return out
}

func (f *fixture) chain(ref store.ChainRef) store.Chain {
	f.t.Helper()
	c, err := f.st.ReadChain(context.Background(), f.db, f.seller, ref)
	if err != nil {
		f.t.Fatalf("ReadChain() error = %v", err)
	}
	return c
}

// tamper runs SQL as the superuser with triggers switched off, the way an
// operator with full access could edit evidence behind the API's back.
func (f *fixture) tamper(sql string, args ...any) {
	f.t.Helper()
	ctx := context.Background()
	conn, err := f.super.Conn(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		f.t.Fatalf("tamper: %v", err)
	}
	defer conn.ExecContext(ctx, `SET session_replication_role = DEFAULT`) //nolint:errcheck // the connection is closed next
	if _, err := conn.ExecContext(ctx, sql, args...); err != nil {
		f.t.Fatalf("tamper %q: %v", sql, err)
	}
}

func TestChainAppendsAndVerifies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.insert(
		ev("2026-11-17T16:20:00.123456789Z", shipment.StatusInTransit, "Pickup scan"),
		ev("2026-11-18T09:00:00Z", shipment.StatusInTransit, "Arrived at facility"),
		ev("2026-11-18T09:00:00Z", shipment.StatusInTransit, "Arrived at facility"), // the same event twice in one batch
	)
	if len(first) != 2 {
		t.Fatalf("InsertEvents() stored %d, want 2 (one duplicate)", len(first))
	}
	// A resend of everything plus the delivery with a signer.
	delivered := ev("2026-11-19T14:02:00Z", shipment.StatusDelivered, "Delivered, front porch")
	delivered.Event.SignedBy = "Zoë Müller"
	second := f.insert(append([]store.NewEvent{
		ev("2026-11-17T16:20:00.123456789Z", shipment.StatusInTransit, "Pickup scan"),
	}, delivered)...)
	if len(second) != 1 {
		t.Fatalf("InsertEvents() stored %d, want only the delivery", len(second))
	}
	c := f.chain(store.ChainRef{Number: number})
	if c.Records != 3 || len(c.Events) != 3 {
		t.Fatalf("chain has %d records, %d events; want 3", c.Records, len(c.Events))
	}
	for i, e := range c.Events {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d, want %d", i, e.Seq, i+1)
		}
	}
	// What InsertEvents returned is what was stored, to the microsecond.
	if got, want := c.Events[0].OccurredAt, first[0].OccurredAt; !got.Equal(want) {
		t.Errorf("stored occurred_at %v, returned %v", got, want)
	}
	if v := c.Audit(); !v.Intact || v.Records != 3 {
		t.Errorf("Audit() = %+v, want intact with 3 records", v)
	}
}

func TestChainConcurrentAppends(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				e := ev(fmt.Sprintf("2026-11-1%dT10:%02d:00Z", w, i), shipment.StatusInTransit, fmt.Sprintf("scan %d.%d", w, i))
				err := f.st.Transact(context.Background(), func(tx *sqlx.Tx) error {
					_, err := f.st.InsertEvents(context.Background(), tx, f.seller, []store.NewEvent{e})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent InsertEvents() error = %v", err)
	}
	c := f.chain(store.ChainRef{Number: number})
	if v := c.Audit(); !v.Intact || v.Records != 40 {
		t.Errorf("Audit() after 8 concurrent writers = %+v, want intact with 40 records", v)
	}
}

func TestEventProofs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	delivered := ev("2026-11-19T14:02:00Z", shipment.StatusDelivered, "Delivered")
	f.insert(delivered) // first without a signer: no proof
	delivered.Event.SignedBy = "J DOE"
	for range 2 { // the signer comes on a resend, twice
		err := f.st.Transact(ctx, func(tx *sqlx.Tx) error {
			if _, err := f.st.InsertEvents(ctx, tx, f.seller, []store.NewEvent{delivered}); err != nil {
				return err
			}
			ps, err := f.st.EventProofs(ctx, tx, f.seller, []store.NewEvent{delivered})
			if err != nil {
				return err
			}
			_, err = f.st.InsertProofs(ctx, tx, f.seller, ps)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := f.chain(store.ChainRef{Number: number})
	if len(c.Events) != 1 || len(c.Proofs) != 1 {
		t.Fatalf("chain has %d events and %d proofs, want 1 and 1", len(c.Events), len(c.Proofs))
	}
	p := c.Proofs[0]
	if p.SignedBy != "J DOE" || p.Source != "EASYPOST" || p.EventID == nil || *p.EventID != c.Events[0].ID || p.Seq != 2 {
		t.Errorf("proof = %+v, want J DOE from EasyPost linked to the event at seq 2", p)
	}
	if v := c.Audit(); !v.Intact || v.Records != 2 {
		t.Errorf("Audit() = %+v, want intact", v)
	}
}

// TestEvidenceImmutableInSQL performs the attack of issue 12: set the
// setting the old triggers trusted and UPDATE, DELETE or TRUNCATE evidence,
// as the app role the server runs as, as the tables' owner and as a
// superuser who leaves the triggers on. Nothing gets through: the app role
// lacks the rights (or meets the triggers), everyone else meets the
// triggers, which let only the purge function's owner delete.
func TestEvidenceImmutableInSQL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.insert(ev("2026-11-17T16:20:00Z", shipment.StatusInTransit, "Pickup scan"))
	sh := f.shipment("A-1", "")
	f.proofs(store.NewProof{Chain: store.ChainOf(sh), ShipmentID: sh.ID, DeliveredAt: at("2026-11-19T14:02:00Z"),
		SignedBy: "Ann", Source: shipment.SourceBackOffice, Photo: &store.Image{ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nfake")}})

	refused := []string{
		`UPDATE tracking_events SET description = 'edited'`,
		`UPDATE tracking_events SET content_hash = content_hash`,
		`DELETE FROM tracking_events`,
		`TRUNCATE tracking_events CASCADE`,
		`UPDATE proof_of_delivery SET signed_by = 'Someone else'`,
		`DELETE FROM proof_of_delivery`,
		`TRUNCATE proof_of_delivery CASCADE`,
		`UPDATE proof_images SET data = 'x'`,
		`DELETE FROM proof_images`,
		`UPDATE evidence_chains SET head = decode(repeat('11', 32), 'hex')`,
		`UPDATE evidence_chains SET records = records - 1`,
		`DELETE FROM evidence_chains`,
		`DELETE FROM sellers`,                                // cascades into evidence
		`SELECT * FROM shipwatch_purge_evidence(now(), 500)`, // a cutoff of now would purge everything quiet
	}
	owner := sqlx.MustOpen("postgres", dbtest.OwnerURL(f.url))
	t.Cleanup(func() { owner.Close() })
	for _, as := range []struct {
		name string
		db   *sqlx.DB
		want []string // SQLSTATEs that count as refused
	}{
		{"app role", f.db, []string{"42501", "SW001", "SW002"}},
		{"owner", owner, []string{"SW001", "SW002"}},
		{"superuser, triggers on", f.super, []string{"SW001", "SW002"}},
	} {
		for _, q := range refused {
			tx, err := as.db.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `SET LOCAL shipwatch.retention = 'on'`); err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, q)
			tx.Rollback() //nolint:errcheck // the attack must not stick either way
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || !slices.Contains(as.want, string(pqErr.Code)) {
				t.Errorf("as %s, with shipwatch.retention on: %s: error = %v, want SQLSTATE in %v", as.name, q, err, as.want)
			}
		}
	}
	for _, q := range []string{`SET ROLE ` + store.RetentionRole, `SET ROLE ` + store.OwnerRole} {
		if _, err := f.db.ExecContext(ctx, q); err == nil {
			t.Errorf("as the app role: %s succeeded, want refused", q)
		}
	}
	var n int
	if err := f.db.GetContext(ctx, &n, `SELECT (SELECT count(*) FROM tracking_events) + (SELECT count(*) FROM proof_of_delivery) + (SELECT count(*) FROM proof_images)`); err != nil || n != 3 {
		t.Errorf("evidence rows = %d, %v; want all 3 still there", n, err)
	}
}

func (f *fixture) shipment(orderID, trackingNumber string) store.Shipment {
	f.t.Helper()
	ups, err := f.st.UpsertShipments(context.Background(), f.db, f.seller, []store.ShipmentWrite{{
		OrderID: orderID, TrackingNumber: trackingNumber, NormalizedTrackingNumber: trackingNumber,
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	return ups[0].Shipment
}

// TestTamperingIsDetected edits evidence as a superuser with the triggers
// switched off; the chain tells each edit.
func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*fixture, store.ChainRef, []store.Event, store.Proof) {
		f := newFixture(t)
		evs := f.insert(
			ev("2026-11-17T16:20:00Z", shipment.StatusInTransit, "Pickup scan"),
			ev("2026-11-18T09:00:00Z", shipment.StatusOutForDelivery, "Out for delivery"),
			ev("2026-11-19T14:02:00Z", shipment.StatusDelivered, "Delivered"),
		)
		sh := f.shipment("A-1", number)
		ps := f.proofs(store.NewProof{Chain: store.ChainOf(sh), ShipmentID: sh.ID, DeliveredAt: at("2026-11-19T14:02:00Z"),
			SignedBy: "Ann", Source: shipment.SourceBackOffice, Photo: &store.Image{ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nphoto")}})
		f.insert(ev("2026-11-20T10:00:00Z", shipment.StatusDelivered, "Delivered again"))
		return f, store.ChainOf(sh), evs, ps[0]
	}
	tests := []struct {
		name   string
		tamper func(f *fixture, evs []store.Event, p store.Proof)
		want   func(evs []store.Event, p store.Proof) *evidence.BrokenRecord
	}{
		{"event edited in place", func(f *fixture, evs []store.Event, _ store.Proof) {
			f.tamper(`UPDATE tracking_events SET status = 'EXCEPTION' WHERE id = $1`, evs[1].ID)
		}, func(evs []store.Event, _ store.Proof) *evidence.BrokenRecord {
			return &evidence.BrokenRecord{Kind: evidence.KindEvent, ID: fmt.Sprint(evs[1].ID), Index: 1, Reason: evidence.ReasonContentChanged}
		}},
		{"proof edited with a recomputed content hash", func(f *fixture, _ []store.Event, p store.Proof) {
			rec := p.Record()
			rec.SignedBy = "Someone else"
			h := evidence.ContentHash(rec)
			f.tamper(`UPDATE proof_of_delivery SET signed_by = 'Someone else', content_hash = $2 WHERE id = $1`, p.ID, h[:])
		}, func(_ []store.Event, p store.Proof) *evidence.BrokenRecord {
			return &evidence.BrokenRecord{Kind: evidence.KindProof, ID: p.ID, Index: 3, Reason: evidence.ReasonLinkChanged}
		}},
		{"event deleted from the middle", func(f *fixture, evs []store.Event, _ store.Proof) {
			f.tamper(`DELETE FROM tracking_events WHERE id = $1`, evs[0].ID)
		}, func(evs []store.Event, _ store.Proof) *evidence.BrokenRecord {
			return &evidence.BrokenRecord{Kind: evidence.KindEvent, ID: fmt.Sprint(evs[1].ID), Index: 0, Reason: evidence.ReasonLinkChanged}
		}},
		{"last event deleted", func(f *fixture, _ []store.Event, _ store.Proof) {
			f.tamper(`DELETE FROM tracking_events WHERE seq = 5`)
		}, func([]store.Event, store.Proof) *evidence.BrokenRecord {
			return &evidence.BrokenRecord{Index: 4, Reason: evidence.ReasonRecordsMissing}
		}},
		{"photo swapped", func(f *fixture, _ []store.Event, p store.Proof) {
			f.tamper(`UPDATE proof_images SET data = '\x89504e470d0a1a0a6f74686572'::bytea WHERE proof_id = $1`, p.ID)
		}, func(_ []store.Event, p store.Proof) *evidence.BrokenRecord {
			return &evidence.BrokenRecord{Kind: evidence.KindProof, ID: p.ID, Index: 3, Reason: evidence.ReasonImageChanged}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, ref, evs, p := setup(t)
			if v := f.chain(ref).Audit(); !v.Intact || v.Records != 5 {
				t.Fatalf("before tampering: Audit() = %+v, want intact with 5 records", v)
			}
			tt.tamper(f, evs, p)
			got := f.chain(ref).Audit()
			want := tt.want(evs, p)
			if got.Intact || got.FirstBroken == nil || *got.FirstBroken != *want {
				t.Errorf("Audit() = %+v (first broken %+v), want broken at %+v", got, got.FirstBroken, want)
			}
		})
	}
}
