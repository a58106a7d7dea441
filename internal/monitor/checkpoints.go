package monitor

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/store"
)

// WithCheckpointKey sets the Ed25519 key checkpoints are signed with.
// Without it, a key that lives as long as the process is used: fine for
// tests, useless to anyone verifying later.
func WithCheckpointKey(key ed25519.PrivateKey) Option {
	return func(s *Service) { s.checkpointKey = key }
}

// processCheckpointKey is the key of a Service built without
// WithCheckpointKey.
var processCheckpointKey = func() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}()

// CheckpointPublicKey is the public half of the key checkpoints are
// signed with.
func (s *Service) CheckpointPublicKey() ed25519.PublicKey {
	return s.checkpointKey.Public().(ed25519.PublicKey)
}

// behindChain is a chain found behind the checkpoint that last committed
// to it: cut short or rewritten. Checkpoints keep committing to what they
// committed to before, so the rewind stays visible.
type behindChain struct {
	sellerID string
	leaf     checkpoint.Leaf
	// records is how many records the chain's row now claims.
	records int64
}

func (b behindChain) String() string {
	return fmt.Sprintf("seller %s: chain %s (id %d) claims %d records, a checkpoint committed to %d with head %s",
		b.sellerID, b.leaf.Key(), b.leaf.ChainID, b.records, b.leaf.Records, b.leaf.Head)
}

// MakeCheckpoints signs a checkpoint for every seller whose chains moved
// since their latest one (and for those whose latest another key signed),
// at most one per seller per interval, and sends each to the seller's
// notification endpoint. Each seller is its own transaction under the
// seller's checkpoint lock, so replicas running it at once sign once. It
// returns how many it signed and a sentence per chain found behind its
// checkpoint (cut short or rewritten), for the operator's log.
func (s *Service) MakeCheckpoints(ctx context.Context, interval time.Duration) (signed int, behind []string, err error) {
	sellers, err := s.store.CheckpointCandidates(ctx, checkpoint.Fingerprint(s.CheckpointPublicKey()))
	if err != nil {
		return 0, nil, err
	}
	var errs []error
	for _, id := range sellers {
		ok, b, err := s.checkpointSeller(ctx, id, interval)
		if err != nil {
			errs = append(errs, fmt.Errorf("checkpoint seller %s: %w", id, err))
			continue
		}
		if ok {
			signed++
		}
		for _, c := range b {
			behind = append(behind, c.String())
		}
	}
	return signed, behind, errors.Join(errs...)
}

func (s *Service) checkpointSeller(ctx context.Context, sellerID string, interval time.Duration) (signed bool, behind []behindChain, err error) {
	err = s.store.Transact(ctx, func(tx *sqlx.Tx) error {
		signed, behind = false, nil
		if err := s.store.LockCheckpoints(ctx, tx, sellerID); err != nil {
			return err
		}
		now := s.now()
		last, err := s.store.LatestCheckpoint(ctx, tx, sellerID)
		var prev []checkpoint.Leaf
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case now.Sub(last.Time) < interval/2:
			return nil // signed this interval already, by this or another replica
		default:
			if prev, err = s.store.CheckpointLeaves(ctx, tx, sellerID, last.Sequence); err != nil {
				return err
			}
		}
		cur, err := s.store.CurrentLeaves(ctx, tx, sellerID)
		if err != nil {
			return err
		}
		p, err := s.planCheckpoint(ctx, tx, sellerID, prev, cur)
		if err != nil {
			return err
		}
		behind = p.behind
		fp := checkpoint.Fingerprint(s.CheckpointPublicKey())
		if len(p.changes) == 0 && last.Sequence > 0 && last.KeyFingerprint == fp {
			return nil
		}
		tree, err := checkpoint.NewTree(p.leaves)
		if err != nil {
			return err
		}
		c := store.Checkpoint{Checkpoint: checkpoint.Sign(checkpoint.Checkpoint{
			SellerID: sellerID, Sequence: last.Sequence + 1, TreeSize: int64(len(p.leaves)), Root: tree.Root(), Time: now,
		}, s.checkpointKey)}
		for _, l := range p.leaves {
			c.TotalRecords += l.Records
		}
		if err := s.store.InsertCheckpoint(ctx, tx, c, p.changes); err != nil {
			return err
		}
		signed = true
		return s.notifyCheckpoint(ctx, tx, c.Checkpoint)
	})
	return signed, behind, err
}

// checkpointPlan is the next checkpoint's leaves (in tree order), the
// leaves to store with it, and the chains kept at their old leaf.
type checkpointPlan struct {
	leaves  []checkpoint.Leaf
	changes []store.LeafChange
	behind  []behindChain
}

// planCheckpoint compares the seller's chains now with the leaves of the
// latest checkpoint. A chain that moved forward gets a new leaf; a chain
// with fewer records than its leaf, or whose record at the leaf's count no
// longer has the leaf's head, keeps its old leaf (a checkpoint never
// commits to a chain going backwards) and is reported; a chain that is
// gone (the retention purge) leaves the tree.
func (s *Service) planCheckpoint(ctx context.Context, q sqlx.QueryerContext, sellerID string, prev, cur []checkpoint.Leaf) (checkpointPlan, error) {
	var p checkpointPlan
	old := make(map[int64]checkpoint.Leaf, len(prev))
	for _, l := range prev {
		old[l.ChainID] = l
	}
	// The records at each grown chain's committed count must still have
	// the committed head: read them in one query.
	var ids, seqs []int64
	for _, c := range cur {
		if o, ok := old[c.ChainID]; ok && o.Records > 0 && c.Records >= o.Records && (c.Records != o.Records || c.Head != o.Head) {
			ids, seqs = append(ids, c.ChainID), append(seqs, o.Records)
		}
	}
	var at map[int64]checkpoint.Hash
	if len(ids) > 0 {
		var err error
		if at, err = s.store.ChainHashesAt(ctx, q, sellerID, ids, seqs); err != nil {
			return p, err
		}
	}
	for _, c := range cur {
		o, ok := old[c.ChainID]
		delete(old, c.ChainID)
		switch {
		case !ok:
			p.changes = append(p.changes, store.LeafChange{Leaf: c})
		case c.Records == o.Records && c.Head == o.Head:
		case c.Records < o.Records || (o.Records > 0 && at[c.ChainID] != o.Head):
			p.behind = append(p.behind, behindChain{sellerID: sellerID, leaf: o, records: c.Records})
			c = o
		default:
			p.changes = append(p.changes, store.LeafChange{Leaf: c})
		}
		p.leaves = append(p.leaves, c)
	}
	for _, o := range prev {
		if _, gone := old[o.ChainID]; gone {
			p.changes = append(p.changes, store.LeafChange{Leaf: o, Removed: true})
		}
	}
	return p, nil
}

// notifyCheckpoint sends the checkpoint to the seller's endpoint, when
// there is one.
func (s *Service) notifyCheckpoint(ctx context.Context, tx *sqlx.Tx, c checkpoint.Checkpoint) error {
	notified, err := s.store.NotifiedSellers(ctx, tx, []string{c.SellerID})
	if err != nil || !notified[c.SellerID] {
		return err
	}
	pub := s.CheckpointPublicKey()
	d, err := s.newDelivery(notify.Payload{Type: notify.EventCheckpoint, SellerID: c.SellerID, Checkpoint: &notify.Checkpoint{
		Sequence: c.Sequence, TreeSize: c.TreeSize, Root: c.Root.String(), Time: c.Time, Body: string(c.Body()),
		Signature: base64.StdEncoding.EncodeToString(c.Signature), PublicKey: checkpoint.EncodePublicKey(pub),
		KeyFingerprint: c.KeyFingerprint,
	}})
	if err != nil {
		return err
	}
	return s.enqueueDeliveries(ctx, tx, []store.NewDelivery{d})
}

// anchorChain ties a chain, read in q's snapshot, to the seller's latest
// checkpoint: the anchor for a pack (nil when no checkpoint covers the
// chain yet) and what is wrong, if anything: a checkpoint that does not
// verify or a chain behind it.
func (s *Service) anchorChain(ctx context.Context, q sqlx.QueryerContext, sellerID string, chain store.Chain, records []evidence.StoredRecord) (*evidence.Anchor, *evidence.BrokenRecord, error) {
	last, err := s.store.LatestCheckpoint(ctx, q, sellerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	invalid := func(detail string) *evidence.BrokenRecord {
		return &evidence.BrokenRecord{Index: len(records), Reason: evidence.ReasonCheckpointInvalid,
			Detail: fmt.Sprintf("checkpoint %d: %s", last.Sequence, detail)}
	}
	if err := last.Verify(s.CheckpointPublicKey()); err != nil {
		return nil, invalid(err.Error()), nil
	}
	leaves, err := s.store.CheckpointLeaves(ctx, q, sellerID, last.Sequence)
	if err != nil {
		return nil, nil, err
	}
	tree, err := checkpoint.NewTree(leaves)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(leaves)) != last.TreeSize || tree.Root() != last.Root {
		return nil, invalid("the stored leaves do not make the signed root"), nil
	}
	i := -1
	for j, l := range leaves {
		if l.Number == chain.Ref.Number && l.ShipmentID == chain.Ref.ShipmentID {
			i = j
			break
		}
	}
	if i < 0 {
		return nil, nil, nil // the chain is newer than the checkpoint
	}
	proof, err := tree.Proof(i)
	if err != nil {
		return nil, nil, err
	}
	a := &evidence.Anchor{Checkpoint: last.Checkpoint, Leaf: leaves[i], LeafIndex: int64(i), InclusionProof: proof,
		PublicKey: checkpoint.EncodePublicKey(s.CheckpointPublicKey())}
	return a, evidence.CheckAnchor(records, chain.ID, last.Sequence, leaves[i]), nil
}
