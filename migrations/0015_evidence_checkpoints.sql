-- 0015: evidence checkpoints. A superuser can cut a chain short and reset
-- its stored head in evidence_chains, and the chain then verifies. A
-- checkpoint commits to every chain of a seller (a Merkle tree of
-- (chain id, key, records, head), sorted by chain id) and is signed with
-- an Ed25519 key kept outside the database; a copy goes to the seller's
-- notification endpoint and into every evidence pack. docs/evidence.md
-- defines the encodings; docs/security.md says what this covers.

-- One row per checkpoint, its signed fields and signature. total_records
-- is the sum of the leaves' records, so that the job can tell cheaply
-- which sellers' chains moved since.
CREATE TABLE evidence_checkpoints (
    seller_id       uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    sequence        bigint NOT NULL CHECK (sequence >= 1),
    tree_size       bigint NOT NULL CHECK (tree_size >= 0),
    total_records   bigint NOT NULL CHECK (total_records >= 0),
    root            bytea NOT NULL CHECK (length(root) = 32),
    signed_at       timestamptz NOT NULL,
    key_fingerprint text NOT NULL CHECK (key_fingerprint ~ '^[0-9a-f]{64}$'),
    signature       bytea NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (seller_id, sequence)
);

-- The leaves, stored only when they change: a chain's leaf in checkpoint
-- S is its row with the highest sequence <= S, and a removed row says the
-- chain left the tree (the retention purge deleted it). No foreign key to
-- evidence_chains: the purge deletes chains, their history stays.
CREATE TABLE evidence_checkpoint_leaves (
    seller_id                  uuid NOT NULL,
    sequence                   bigint NOT NULL,
    chain_id                   bigint NOT NULL,
    normalized_tracking_number text NOT NULL,
    shipment_id                uuid,
    records                    bigint NOT NULL CHECK (records >= 0),
    head                       bytea NOT NULL CHECK (length(head) = 32),
    removed                    boolean NOT NULL DEFAULT false,
    -- The primary key is the index of both reads: a seller's leaves as of
    -- a checkpoint (DISTINCT ON chain_id) and one chain's latest leaf.
    PRIMARY KEY (seller_id, chain_id, sequence),
    FOREIGN KEY (seller_id, sequence) REFERENCES evidence_checkpoints (seller_id, sequence)
);

-- Checkpoints never change: the app role may only insert and read them
-- (store.GrantApp), and these triggers refuse everyone else too.
CREATE TRIGGER evidence_checkpoints_immutable BEFORE UPDATE OR DELETE ON evidence_checkpoints
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER evidence_checkpoints_no_truncate BEFORE TRUNCATE ON evidence_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER evidence_checkpoint_leaves_immutable BEFORE UPDATE OR DELETE ON evidence_checkpoint_leaves
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER evidence_checkpoint_leaves_no_truncate BEFORE TRUNCATE ON evidence_checkpoint_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_immutable();
