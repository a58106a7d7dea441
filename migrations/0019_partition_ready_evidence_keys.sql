-- shipwatch:no-transaction
-- 0019: partition-ready keys for the evidence tables. An operator who
-- outgrows one disk can partition tracking_events, proof_of_delivery and
-- proof_images by hash of seller_id later without rewriting keys:
-- PostgreSQL requires every primary key and unique constraint of a
-- partitioned table to include the partition key, and a foreign key into a
-- partitioned table to reference such a key. So every unique key and every
-- foreign key of these tables now leads with seller_id (with
-- evidence_chains' primary key the one exception, said below);
-- TestEvidenceKeysArePartitionReady holds the rule. No table is
-- partitioned here (docs/evidence.md, Partitioning).
--
-- Runs outside a transaction: the new indexes are built CONCURRENTLY, so
-- writers keep writing while a populated table is indexed, and each swap
-- of a key onto its new index is one short statement. Each statement can
-- be run again if a later one fails. No key loses strength: chain_id
-- determines seller_id (the foreign key (seller_id, chain_id) references
-- evidence_chains (seller_id, id), and evidence_chains.id is unique), and
-- so do a proof's id and an event's id, so adding seller_id in front
-- allows no row the old key refused. Constraint changes are DDL: the
-- evidence tables' immutability triggers fire on UPDATE, DELETE and
-- TRUNCATE of rows, never on ALTER TABLE or CREATE INDEX.

-- tracking_events: the primary key becomes (seller_id, id), built here
-- and swapped in below. The identity column stays: it still draws the ids.
DROP INDEX CONCURRENTLY IF EXISTS tracking_events_seller_id_id_key;
CREATE UNIQUE INDEX CONCURRENTLY tracking_events_seller_id_id_key ON tracking_events (seller_id, id);

-- A proof made from a carrier event will name it by (seller_id, event_id),
-- and a retention purge deleting an event checks no proof points at it by
-- that pair: the index of that check, built before the key it serves.
DROP INDEX CONCURRENTLY IF EXISTS proof_of_delivery_seller_event_idx;
CREATE INDEX CONCURRENTLY proof_of_delivery_seller_event_idx ON proof_of_delivery (seller_id, event_id) WHERE event_id IS NOT NULL;

-- The swap, in one transaction so that no proof is ever unchecked: the
-- proofs' foreign key to tracking_events (id) goes (it depends on the old
-- primary key), the primary key moves onto (seller_id, id), and the
-- foreign key comes back as (seller_id, event_id), NOT VALID so that this
-- holds its locks only for the catalog changes (new rows are checked at
-- once; the existing ones are validated by the next statement). Both
-- tables are locked in the order writers take them, events then proofs.
-- Every column of the new primary key is NOT NULL already, so adding it
-- reads no row.
DO $$
BEGIN
    LOCK TABLE tracking_events, proof_of_delivery IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE proof_of_delivery
        DROP CONSTRAINT IF EXISTS proof_of_delivery_event_id_fkey,
        DROP CONSTRAINT IF EXISTS proof_of_delivery_event_fk;
    ALTER TABLE tracking_events
        DROP CONSTRAINT IF EXISTS tracking_events_pkey,
        ADD CONSTRAINT tracking_events_pkey PRIMARY KEY USING INDEX tracking_events_seller_id_id_key;
    ALTER TABLE proof_of_delivery
        ADD CONSTRAINT proof_of_delivery_event_fk FOREIGN KEY (seller_id, event_id)
            REFERENCES tracking_events (seller_id, id) NOT VALID;
END
$$;
-- Validating reads every proof with an event but blocks no writer.
ALTER TABLE proof_of_delivery VALIDATE CONSTRAINT proof_of_delivery_event_fk;
-- The old index of the event check, on event_id alone: no key needs it now.
DROP INDEX CONCURRENTLY IF EXISTS proof_of_delivery_event_idx;

-- tracking_events: one record per chain position, as (seller_id, chain_id,
-- seq) instead of (chain_id, seq). The name stays: it is the index the
-- chain reads (ReadChain, ChainHashesAt) and the purge's deletes use.
DROP INDEX CONCURRENTLY IF EXISTS tracking_events_seller_chain_idx;
CREATE UNIQUE INDEX CONCURRENTLY tracking_events_seller_chain_idx ON tracking_events (seller_id, chain_id, seq);
DROP INDEX CONCURRENTLY IF EXISTS tracking_events_chain_idx;
ALTER INDEX IF EXISTS tracking_events_seller_chain_idx RENAME TO tracking_events_chain_idx;

-- proof_of_delivery: the constraint proof_of_delivery_seq becomes UNIQUE
-- (seller_id, chain_id, seq), swapped onto its new index in one statement
-- (nothing references it). Its name stays, for the conflict errors that
-- name it.
DROP INDEX CONCURRENTLY IF EXISTS proof_of_delivery_seller_seq_key;
CREATE UNIQUE INDEX CONCURRENTLY proof_of_delivery_seller_seq_key ON proof_of_delivery (seller_id, chain_id, seq);
ALTER TABLE proof_of_delivery
    DROP CONSTRAINT IF EXISTS proof_of_delivery_seq,
    ADD CONSTRAINT proof_of_delivery_seq UNIQUE USING INDEX proof_of_delivery_seller_seq_key;

-- proof_of_delivery: the primary key becomes (seller_id, id). The unique
-- (seller_id, id) proof_of_delivery_tenant said the same; the new primary
-- key takes its place, so the images' foreign key, which depended on it,
-- is dropped and made again on the primary key in the same transaction,
-- NOT VALID, then validated (as for the events above).
DROP INDEX CONCURRENTLY IF EXISTS proof_of_delivery_seller_id_id_key;
CREATE UNIQUE INDEX CONCURRENTLY proof_of_delivery_seller_id_id_key ON proof_of_delivery (seller_id, id);
DO $$
BEGIN
    LOCK TABLE proof_of_delivery, proof_images IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE proof_images
        DROP CONSTRAINT IF EXISTS proof_images_seller_id_proof_id_fkey,
        DROP CONSTRAINT IF EXISTS proof_images_proof_fk;
    ALTER TABLE proof_of_delivery
        DROP CONSTRAINT IF EXISTS proof_of_delivery_tenant,
        DROP CONSTRAINT IF EXISTS proof_of_delivery_pkey,
        ADD CONSTRAINT proof_of_delivery_pkey PRIMARY KEY USING INDEX proof_of_delivery_seller_id_id_key;
    ALTER TABLE proof_images
        ADD CONSTRAINT proof_images_proof_fk FOREIGN KEY (seller_id, proof_id)
            REFERENCES proof_of_delivery (seller_id, id) NOT VALID;
END
$$;
ALTER TABLE proof_images VALIDATE CONSTRAINT proof_images_proof_fk;

-- proof_images: the primary key becomes (seller_id, proof_id, kind); it is
-- also the index of the foreign key (seller_id, proof_id) to its proof.
-- Nothing references proof_images.
DROP INDEX CONCURRENTLY IF EXISTS proof_images_seller_key;
CREATE UNIQUE INDEX CONCURRENTLY proof_images_seller_key ON proof_images (seller_id, proof_id, kind);
ALTER TABLE proof_images
    DROP CONSTRAINT IF EXISTS proof_images_pkey,
    ADD CONSTRAINT proof_images_pkey PRIMARY KEY USING INDEX proof_images_seller_key;

-- evidence_chains keeps its primary key (id): every foreign key to it
-- already references the unique (seller_id, id) evidence_chains_tenant,
-- and the lookups by id alone (the purge's pick, saveChains, the proofs'
-- join to their chain) use it. A chain is one row per parcel, small
-- beside its events; partitioning it too would mean moving those lookups
-- onto (seller_id, id) first. evidence_checkpoints and
-- evidence_checkpoint_leaves lead with seller_id already (0015).

-- The purge deletes a batch of chains' records by (seller_id, chain_id):
-- the leading columns of the chain indexes above, where chain_id alone
-- would read every record. Otherwise the function of 0009 unchanged; the
-- replacement keeps its owner and grants.
CREATE OR REPLACE FUNCTION shipwatch_purge_evidence(cutoff timestamptz, batch integer)
    RETURNS TABLE (chains bigint, events bigint, proofs bigint, images bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF cutoff IS NULL OR cutoff > now() - interval '24 hours' THEN
        RAISE EXCEPTION 'evidence retention cutoff % is less than 24 hours ago', cutoff
            USING ERRCODE = 'SW002';
    END IF;
    IF batch IS NULL OR batch < 1 OR batch > 10000 THEN
        RAISE EXCEPTION 'evidence purge batch % is not between 1 and 10000', batch USING ERRCODE = 'SW002';
    END IF;
    SELECT coalesce(array_agg(d.id), '{}') INTO ids FROM (
        SELECT c.id FROM public.evidence_chains c
        WHERE c.updated_at < cutoff
            AND NOT EXISTS (
                SELECT 1 FROM public.shipments sh
                WHERE sh.seller_id = c.seller_id
                    AND (sh.id = c.shipment_id
                        OR (c.shipment_id IS NULL AND sh.normalized_tracking_number = c.normalized_tracking_number))
                    AND (greatest(sh.updated_at, sh.last_event_at) >= cutoff
                        OR EXISTS (SELECT 1 FROM public.disputes dp
                            WHERE dp.seller_id = sh.seller_id AND dp.shipment_id = sh.id
                                AND (dp.status = 'OPEN' OR dp.updated_at >= cutoff))))
        ORDER BY c.id LIMIT batch
        FOR UPDATE SKIP LOCKED) d;
    DELETE FROM public.proof_images i USING public.evidence_chains c, public.proof_of_delivery p
        WHERE c.id = ANY (ids) AND p.seller_id = c.seller_id AND p.chain_id = c.id
            AND i.seller_id = p.seller_id AND i.proof_id = p.id;
    GET DIAGNOSTICS images = ROW_COUNT;
    DELETE FROM public.proof_of_delivery p USING public.evidence_chains c
        WHERE c.id = ANY (ids) AND p.seller_id = c.seller_id AND p.chain_id = c.id;
    GET DIAGNOSTICS proofs = ROW_COUNT;
    DELETE FROM public.tracking_events e USING public.evidence_chains c
        WHERE c.id = ANY (ids) AND e.seller_id = c.seller_id AND e.chain_id = c.id;
    GET DIAGNOSTICS events = ROW_COUNT;
    DELETE FROM public.evidence_chains WHERE id = ANY (ids);
    GET DIAGNOSTICS chains = ROW_COUNT;
    RETURN NEXT;
END
$$;

COMMENT ON INDEX tracking_events_pkey IS
    'Event by (seller, id): the proofs'' join to the event they were made from (proofFrom), the key proof_of_delivery_event_fk references.';
COMMENT ON INDEX tracking_events_chain_idx IS
    'One record per chain position; a chain''s events in order: ReadChain, ChainHashesAt, the purge''s delete, the chain foreign key''s check.';
COMMENT ON INDEX proof_of_delivery_seq IS
    'One record per chain position; a chain''s proofs in order: ReadChain, ProofsOf, ChainHashesAt, the PROOF_MISSING rule, the purge''s deletes.';
COMMENT ON INDEX proof_of_delivery_pkey IS
    'Proof by (seller, id): Store.Proof, the proofs'' joins to their images, the key proof_images_proof_fk references.';
COMMENT ON INDEX proof_of_delivery_seller_event_idx IS
    'The check of proof_of_delivery_event_fk when the purge deletes an event.';
COMMENT ON INDEX proof_images_pkey IS
    'A proof''s images by (seller, proof, kind): proofFrom, ProofImage, ProofImages, the purge''s delete, the images'' foreign key.';
