package pubsub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/pubsub"
)

// TestPublishOnCommitOnly checks that a message reaches the subscribers
// of its topic and seller when the publishing transaction commits, never
// when it rolls back, and that long id lists arrive whole.
func TestPublishOnCommitOnly(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := pubsub.Listen(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	mine := hub.Subscribe(ctx, pubsub.TopicFlagRaised, "seller-a")
	otherSeller := hub.Subscribe(ctx, pubsub.TopicFlagRaised, "seller-b")
	otherTopic := hub.Subscribe(ctx, pubsub.TopicShipmentUpdated, "seller-a")

	publish := func(commit bool, ids []string) {
		t.Helper()
		tx := db.MustBegin()
		if err := pubsub.Publish(ctx, tx, pubsub.Message{Topic: pubsub.TopicFlagRaised, SellerID: "seller-a", IDs: ids}); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	publish(false, []string{"rolled-back"})
	many := make([]string, 400)
	for i := range many {
		many[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	publish(true, many)

	var got []string
	for len(got) < len(many) {
		select {
		case m := <-mine:
			got = append(got, m.IDs...)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d ids", len(got), len(many))
		}
	}
	for i, id := range got {
		if id != many[i] {
			t.Fatalf("id %d = %q, want %q (rolled-back messages must not arrive)", i, id, many[i])
		}
	}
	select {
	case m := <-otherSeller:
		t.Errorf("another seller's subscriber got %+v", m)
	case m := <-otherTopic:
		t.Errorf("another topic's subscriber got %+v", m)
	case <-time.After(200 * time.Millisecond):
	}
	if n := hub.Subscribers(); n != 3 {
		t.Errorf("Subscribers() = %d, want 3", n)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := hub.Subscribers(); n != 0 {
		t.Errorf("Subscribers() after the context ended = %d, want 0", n)
	}
}

// TestSubscribeTopicsInCommitOrder checks that one subscription to several
// topics gets their messages in commit order (a flag's resolution after
// its raising, even from one transaction), and none of other topics.
func TestSubscribeTopicsInCommitOrder(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := pubsub.Listen(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	flags := hub.SubscribeTopics(ctx, "seller-a", pubsub.TopicFlagRaised, pubsub.TopicFlagResolved, pubsub.TopicFlagAcknowledged)

	want := []pubsub.Message{
		{Topic: pubsub.TopicFlagRaised, SellerID: "seller-a", IDs: []string{"f1"}},
		{Topic: pubsub.TopicShipmentUpdated, SellerID: "seller-a", IDs: []string{"s1"}},
		{Topic: pubsub.TopicFlagAcknowledged, SellerID: "seller-a", IDs: []string{"f1"}},
		{Topic: pubsub.TopicFlagResolved, SellerID: "seller-b", IDs: []string{"f9"}},
		{Topic: pubsub.TopicFlagResolved, SellerID: "seller-a", IDs: []string{"f1"}},
		{Topic: pubsub.TopicFlagRaised, SellerID: "seller-a", IDs: []string{"f2"}},
	}
	for _, batch := range [][]pubsub.Message{want[:2], want[2:3], want[3:]} {
		tx := db.MustBegin()
		if err := pubsub.Publish(ctx, tx, batch...); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for len(got) < 4 {
		select {
		case m := <-flags:
			got = append(got, m.Topic+" "+m.IDs[0])
		case <-time.After(10 * time.Second):
			t.Fatalf("got %q, want 4 messages", got)
		}
	}
	wantOrder := []string{"flag.raised f1", "flag.acknowledged f1", "flag.resolved f1", "flag.raised f2"}
	// Another seller's or topic's message, committed before f2, would
	// come before it.
	for i := range wantOrder {
		if got[i] != wantOrder[i] {
			t.Fatalf("messages = %q, want %q", got, wantOrder)
		}
	}
}
