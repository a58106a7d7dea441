package store_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

func rule(t *testing.T, kind string) flag.Rule {
	t.Helper()
	r, ok := flag.Of(flag.Kind(kind))
	if !ok {
		t.Fatalf("no rule %s", kind)
	}
	return r
}

// candidates runs a rule's SQL and returns the order ids of the shipments
// it names, sorted, with their messages.
func (f *fixture) candidates(r flag.Rule, seller any, now time.Time, only []string) ([]string, map[string]string) {
	f.t.Helper()
	rows := []struct {
		ShipmentID string `db:"shipment_id"`
		Message    string `db:"message"`
	}{}
	var restrict any
	if only != nil {
		restrict = pq.Array(only)
	}
	if err := f.db.SelectContext(context.Background(), &rows, r.Candidates(false), seller, now, restrict); err != nil {
		f.t.Fatalf("%s candidates: %v", r.Kind, err)
	}
	var orders []string
	msgs := map[string]string{}
	for _, row := range rows {
		var order string
		if err := f.db.GetContext(context.Background(), &order, `SELECT order_id FROM shipments WHERE id = $1`, row.ShipmentID); err != nil {
			f.t.Fatal(err)
		}
		orders = append(orders, order)
		msgs[order] = row.Message
	}
	sort.Strings(orders)
	return orders, msgs
}

func (f *fixture) dispute(sh store.Shipment, kind string, respondBy *time.Time) store.Dispute {
	f.t.Helper()
	d, err := f.st.InsertDispute(context.Background(), f.db, f.seller, sh.ID, store.DisputeWrite{Kind: kind, RespondBy: respondBy, ExternalReference: "REF-" + sh.OrderID + "-" + kind})
	if err != nil {
		f.t.Fatalf("InsertDispute() error = %v", err)
	}
	return d
}

func TestDisputeDueSoonRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := at("2026-11-30T12:00:00Z")
	in := func(d time.Duration) *time.Time { v := now.Add(d); return &v }

	f.dispute(f.shipment("boundary", ""), "A_TO_Z_CLAIM", in(24*time.Hour))
	f.dispute(f.shipment("just-after", ""), "A_TO_Z_CLAIM", in(24*time.Hour+time.Second))
	packed := f.dispute(f.shipment("packed", ""), "CHARGEBACK", in(time.Hour))
	if _, err := f.st.RecordPack(ctx, f.seller, packed.ID, now); err != nil {
		t.Fatal(err)
	}
	f.dispute(f.shipment("overdue", ""), "NOT_RECEIVED", in(-time.Hour))
	closed := f.dispute(f.shipment("closed", ""), "CHARGEBACK", in(time.Hour))
	if _, err := f.st.CloseDispute(ctx, f.db, f.seller, closed.ID, "WON"); err != nil {
		t.Fatal(err)
	}
	f.dispute(f.shipment("no-deadline", ""), "OTHER", nil)
	two := f.shipment("two-disputes", "")
	f.dispute(two, "CHARGEBACK", in(3*time.Hour))
	f.dispute(two, "A_TO_Z_CLAIM", in(2*time.Hour))

	other := newFixtureOn(t, f)
	other.dispute(other.shipment("other-seller", ""), "A_TO_Z_CLAIM", in(time.Hour))

	r := rule(t, "DISPUTE_DUE_SOON")
	got, msgs := f.candidates(r, f.seller, now, nil)
	if want := []string{"boundary", "overdue", "two-disputes"}; !cmp.Equal(got, want) {
		t.Errorf("DISPUTE_DUE_SOON for the seller = %v, want %v", got, want)
	}
	for order, want := range map[string]string{
		"boundary":     "A-to-z claim REF-boundary-A_TO_Z_CLAIM must be answered by 2026-12-01 12:00 UTC and no evidence pack has been generated",
		"overdue":      "Not-received dispute REF-overdue-NOT_RECEIVED was due 2026-11-30 11:00 UTC",
		"two-disputes": "A-to-z claim REF-two-disputes-A_TO_Z_CLAIM must be answered by 2026-11-30 14:00 UTC",
	} {
		if !strings.HasPrefix(msgs[order], want) {
			t.Errorf("message for %s = %q, want it to start %q", order, msgs[order], want)
		}
	}
	if got, _ := f.candidates(r, nil, now, nil); len(got) != 4 {
		t.Errorf("DISPUTE_DUE_SOON for every seller = %v, want the seller's 3 and the other's", got)
	}
	if got, _ := f.candidates(r, f.seller, now, []string{two.ID}); !cmp.Equal(got, []string{"two-disputes"}) {
		t.Errorf("DISPUTE_DUE_SOON restricted to one shipment = %v", got)
	}
	// A second later the boundary case is in too.
	if got, _ := f.candidates(r, f.seller, now.Add(time.Second), nil); len(got) != 4 {
		t.Errorf("DISPUTE_DUE_SOON a second later = %v, want just-after in", got)
	}
}

// newFixtureOn makes a second seller on f's database.
func newFixtureOn(t *testing.T, f *fixture) *fixture {
	t.Helper()
	s, err := f.st.InsertSeller(context.Background(), "Other")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: f.db, st: f.st, seller: s.ID}
}

func TestProofMissingRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := at("2026-11-30T12:00:00Z")
	deliver := func(order, num, signer string) store.Shipment {
		sh := f.shipment(order, num)
		e := ev("2026-11-19T14:02:00Z", shipment.StatusDelivered, "Delivered")
		e.Normalized, e.Event.TrackingNumber, e.Event.SignedBy = num, num, signer
		f.insert(e)
		if signer != "" {
			err := f.st.Transact(ctx, func(tx *sqlx.Tx) error {
				ps, err := f.st.EventProofs(ctx, tx, f.seller, []store.NewEvent{e})
				if err == nil {
					_, err = f.st.InsertProofs(ctx, tx, f.seller, ps)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.st.RefreshShipments(ctx, f.db, f.seller, []string{num}); err != nil {
			t.Fatal(err)
		}
		return sh
	}
	f.dispute(deliver("no-proof", "NUM1", ""), "NOT_RECEIVED", nil)
	withProof := deliver("api-proof", "NUM2", "")
	f.proofs(store.NewProof{Chain: store.ChainOf(withProof), ShipmentID: withProof.ID, DeliveredAt: at("2026-11-19T14:02:00Z"),
		SignedBy: "Ann", Source: shipment.SourceBackOffice})
	f.dispute(withProof, "NOT_RECEIVED", nil)
	f.dispute(deliver("event-proof", "NUM3", "J DOE"), "NOT_RECEIVED", nil)
	f.dispute(f.shipment("not-delivered", "NUM4"), "NOT_RECEIVED", nil)
	closed := f.dispute(deliver("closed", "NUM5", ""), "NOT_RECEIVED", nil)
	if _, err := f.st.CloseDispute(ctx, f.db, f.seller, closed.ID, "LOST"); err != nil {
		t.Fatal(err)
	}
	deliver("undisputed", "NUM6", "")
	// Another order with the same number shares the parcel's proof.
	sibling := f.shipment("sibling-of-api-proof", "NUM2")
	if _, err := f.st.RefreshShipments(ctx, f.db, f.seller, []string{"NUM2"}); err != nil {
		t.Fatal(err)
	}
	f.dispute(sibling, "CHARGEBACK", nil)

	got, msgs := f.candidates(rule(t, "PROOF_MISSING"), f.seller, now, nil)
	if want := []string{"no-proof"}; !cmp.Equal(got, want) {
		t.Errorf("PROOF_MISSING = %v, want %v", got, want)
	}
	if want := "Delivered 2026-11-19 14:02 UTC and disputed (Not-received dispute REF-no-proof-NOT_RECEIVED) but no proof of delivery is on file"; msgs["no-proof"] != want {
		t.Errorf("message = %q, want %q", msgs["no-proof"], want)
	}
	if got, _ := f.candidates(rule(t, "PROOF_MISSING"), f.seller, at("2026-11-19T14:00:00Z"), nil); len(got) != 0 {
		t.Errorf("PROOF_MISSING before the delivery = %v, want none", got)
	}
}
