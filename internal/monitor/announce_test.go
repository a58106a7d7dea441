package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestFlagChangesAnnounced checks that a flag's raising, acknowledgement
// and resolution (by hand, or automatically by a check) are each announced
// once, when they change the flag, on the seller's flag topics. Messages
// arrive in commit order on one subscription, so a message that should
// not have been sent shows up in place of the next expected one.
func TestFlagChangesAnnounced(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := &ruleEnv{t: t, ctx: ctx, clock: ruleEnvStart, db: db}
	e.svc, e.st = monitortest.New(t, db, monitor.WithClock(func() time.Time { return e.clock }))
	hub, err := pubsub.Listen(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	seller := e.seller("UTC", 0, 0)
	other := e.seller("UTC", 0, 0)
	msgs := hub.SubscribeTopics(ctx, seller, pubsub.TopicFlagRaised, pubsub.TopicFlagResolved, pubsub.TopicFlagAcknowledged)

	next := func(what string) pubsub.Message {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no message: want %s", what)
			return pubsub.Message{}
		}
	}
	want := func(topic, id string) {
		t.Helper()
		if m := next(topic + " " + id); m.Topic != topic || !slices.Equal(m.IDs, []string{id}) || m.SellerID != seller {
			t.Fatalf("message = %+v, want %s of [%s] for the seller", m, topic, id)
		}
	}
	// raised waits for the raising of the shipment's flag of kind k
	// (the check may raise other flags first).
	raised := func(sh store.Shipment, k flag.Kind) flag.Flag {
		t.Helper()
		f := e.openFlag(seller, sh, k)
		for {
			m := next("flag.raised " + f.ID)
			if m.Topic != pubsub.TopicFlagRaised {
				t.Fatalf("message = %+v, want the raising of %s", m, f.ID)
			}
			if slices.Contains(m.IDs, f.ID) {
				return f
			}
		}
	}

	sh := e.ship(seller, shipment.Input{TrackingNumber: "1ZJRKRRB0271932319"})
	e.event(seller, sh, e.clock, shipment.StatusException, nil)
	e.check(seller)
	f := raised(sh, flag.DeliveryException)

	if _, err := e.svc.AcknowledgeFlag(ctx, other, f.ID); err == nil {
		t.Error("AcknowledgeFlag() by another seller succeeded")
	}
	acked, err := e.svc.AcknowledgeFlag(ctx, seller, f.ID)
	if err != nil || acked.AcknowledgedAt == nil {
		t.Fatalf("AcknowledgeFlag() = %+v, %v", acked, err)
	}
	want(pubsub.TopicFlagAcknowledged, f.ID)
	again, err := e.svc.AcknowledgeFlag(ctx, seller, f.ID)
	if err != nil || !again.AcknowledgedAt.Equal(*acked.AcknowledgedAt) {
		t.Errorf("AcknowledgeFlag() again = %+v, %v; want it unchanged", again, err)
	}
	if _, err := e.svc.ResolveFlag(ctx, seller, f.ID, "called the carrier"); err != nil {
		t.Fatal(err)
	}
	want(pubsub.TopicFlagResolved, f.ID) // not a second acknowledgement
	if _, err := e.svc.ResolveFlag(ctx, seller, f.ID, "twice"); err != nil {
		t.Fatal(err)
	}

	// A check resolves a flag whose condition stopped holding.
	sh2 := e.ship(seller, shipment.Input{TrackingNumber: "1ZJRKRRB0271932328"})
	e.event(seller, sh2, e.clock, shipment.StatusException, nil)
	e.check(seller)
	f2 := raised(sh2, flag.DeliveryException) // not a second resolution of f
	e.event(seller, sh2, e.clock.Add(time.Hour), shipment.StatusInTransit, nil)
	e.check(seller)
	want(pubsub.TopicFlagResolved, f2.ID)
	if got, err := e.st.Flag(ctx, seller, f2.ID); err != nil || got.Resolution != flag.Auto {
		t.Errorf("Flag() = %+v, %v; want resolved AUTO", got, err)
	}
}

// openFlag returns the shipment's open flag of kind k.
func (e *ruleEnv) openFlag(seller string, sh store.Shipment, k flag.Kind) flag.Flag {
	e.t.Helper()
	yes := true
	page, err := e.st.Flags(e.ctx, seller, store.FlagFilter{ShipmentID: sh.ID, Open: &yes, Kinds: []flag.Kind{k}}, 10, store.Cursor{})
	if err != nil || len(page.Items) != 1 {
		e.t.Fatalf("open %s flags of %s = %+v, %v; want one", k, sh.OrderID, page.Items, err)
	}
	return page.Items[0]
}
