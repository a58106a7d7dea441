package monitor_test

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

func seededKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed)
}

// TestMakeCheckpoints: a checkpoint commits to every chain of the seller
// and verifies with the key; nothing moved means no new checkpoint; at
// most one per interval; only changed leaves are stored again; a new key
// signs anew; two replicas at once sign once; the app role cannot change
// a checkpoint.
func TestMakeCheckpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	key := seededKey(1)
	svc, st := monitortest.New(t, db, monitor.WithClock(now), monitor.WithCheckpointKey(key))
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	record := func(number string, n int) {
		t.Helper()
		var evs []shipment.Event
		for i := range n {
			evs = append(evs, shipment.Event{TrackingNumber: number, OccurredAt: clock.Add(time.Duration(i) * time.Hour),
				Status: shipment.StatusInTransit, Description: "Scan", Source: shipment.SourceEasyPost})
		}
		if _, err := svc.RecordEvents(ctx, seller.ID, evs); err != nil {
			t.Fatal(err)
		}
	}
	run := func(interval time.Duration, want int) {
		t.Helper()
		signed, behind, err := svc.MakeCheckpoints(ctx, interval)
		if err != nil || signed != want || len(behind) != 0 {
			t.Fatalf("MakeCheckpoints() = %d, %q, %v; want %d signed", signed, behind, err, want)
		}
	}
	run(time.Minute, 0) // no evidence, no checkpoint
	record("1Z999AA10123456784", 2)
	record("9400111899223197428490", 1)
	run(time.Minute, 1)

	last, err := st.LatestCheckpoint(ctx, db, seller.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := st.CurrentLeaves(ctx, db, seller.ID)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := checkpoint.NewTree(cur)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if last.Sequence != 1 || last.TreeSize != 2 || last.Root != tree.Root() || last.TotalRecords != 3 || !last.Time.Equal(clock) {
		t.Errorf("checkpoint = %+v, want #1 over 2 chains, 3 records, root %s, at %s", last, tree.Root(), clock)
	}
	if err := last.Verify(pub); err != nil {
		t.Errorf("checkpoint signature: %v", err)
	}

	clock = clock.Add(5 * time.Minute)
	run(time.Minute, 0) // nothing moved
	record("1Z999AA10123456784", 3)
	clock = clock.Add(10 * time.Second)
	run(time.Minute, 1) // five minutes since the last: due
	record("1Z999AA10123456784", 4)
	clock = clock.Add(10 * time.Second)
	run(time.Minute, 0) // ten seconds since: wait for the interval
	clock = clock.Add(time.Minute)
	run(time.Minute, 1)
	var changed int
	if err := db.GetContext(ctx, &changed, `SELECT count(*) FROM evidence_checkpoint_leaves WHERE seller_id = $1 AND sequence = 3`, seller.ID); err != nil {
		t.Fatal(err)
	}
	if changed != 1 {
		t.Errorf("checkpoint 3 stored %d leaves, want 1: only the chain that moved", changed)
	}
	leaves, err := st.CheckpointLeaves(ctx, db, seller.ID, 3)
	if err != nil || len(leaves) != 2 {
		t.Fatalf("CheckpointLeaves(3) = %d leaves, %v; want both chains", len(leaves), err)
	}

	// Another key: the next run signs again, though nothing moved.
	rotated, _ := monitortest.New(t, db, monitor.WithClock(now), monitor.WithCheckpointKey(seededKey(2)))
	clock = clock.Add(time.Minute)
	if signed, _, err := rotated.MakeCheckpoints(ctx, time.Minute); err != nil || signed != 1 {
		t.Errorf("MakeCheckpoints(new key) = %d, %v; want 1", signed, err)
	}

	// Two replicas at once sign one checkpoint.
	record("9400111899223197428490", 2)
	clock = clock.Add(time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, _, err := rotated.MakeCheckpoints(ctx, time.Minute)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 1 {
		t.Errorf("two concurrent runs signed %d checkpoints, want 1", total)
	}

	for _, stmt := range []string{`UPDATE evidence_checkpoints SET tree_size = 0`, `DELETE FROM evidence_checkpoints`,
		`UPDATE evidence_checkpoint_leaves SET records = 0`, `DELETE FROM evidence_checkpoint_leaves`} {
		if _, err := db.ExecContext(ctx, stmt); err == nil {
			t.Errorf("the app role may %s, want refused", stmt)
		}
	}
}
