-- 0006: delivery evidence and disputes. A buyer's "it never arrived" is
-- answered with records nobody can have changed after the fact, so:
--
-- * carrier events and proofs of delivery are hash-chained records: one chain
--   per parcel (seller + normalised tracking number, since an event belongs to
--   the number and so to every shipment carrying it; a shipment without a
--   number chains its proofs on its own id). The store computes each record's
--   hashes when inserting it, under a row lock on the chain, and keeps the
--   chain's length and last hash in evidence_chains so a removed tail shows.
-- * triggers refuse UPDATE, DELETE and TRUNCATE of evidence for everyone but
--   the retention job (SET LOCAL shipwatch.retention = 'on'). A superuser can
--   still bypass triggers; the hash chain is what catches that.
-- * disputes record the complaint and every evidence pack generated for it.
-- docs/evidence.md describes all of it.

-- Tenant foreign keys: evidence and disputes point at (seller_id, id) so a
-- row can never name another seller's shipment.
CREATE UNIQUE INDEX IF NOT EXISTS shipments_seller_id_id_key ON shipments (seller_id, id);

CREATE TABLE evidence_chains (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id                  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    -- The parcel's normalised number; '' for the chain of a shipment
    -- without one, which shipment_id then names.
    normalized_tracking_number text NOT NULL,
    shipment_id                uuid,
    -- records and head are the chain's length and its last record's chain
    -- hash: Verify cannot see records deleted from the end, a comparison
    -- with these can.
    records                    bigint NOT NULL DEFAULT 0 CHECK (records >= 0),
    head                       bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex') CHECK (length(head) = 32),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    -- updated_at is when the last record was appended: the retention job's
    -- measure of activity.
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT evidence_chains_owner CHECK ((normalized_tracking_number = '') = (shipment_id IS NOT NULL)),
    CONSTRAINT evidence_chains_key UNIQUE NULLS NOT DISTINCT (seller_id, normalized_tracking_number, shipment_id),
    CONSTRAINT evidence_chains_tenant UNIQUE (seller_id, id),
    FOREIGN KEY (seller_id, shipment_id) REFERENCES shipments (seller_id, id)
);
CREATE INDEX evidence_chains_updated_idx ON evidence_chains (updated_at);

-- Events inserted before this migration (none in production) have no
-- chain: the columns stay NULL for them, and together for any row, so
-- fixtures that bulk-load events with plain SQL keep working. Every event
-- the store inserts is chained.
ALTER TABLE tracking_events
    ADD COLUMN chain_id bigint,
    ADD COLUMN seq bigint,
    ADD COLUMN content_hash bytea,
    ADD COLUMN chain_hash bytea,
    ADD CONSTRAINT tracking_events_chained CHECK (
        (chain_id IS NULL AND seq IS NULL AND content_hash IS NULL AND chain_hash IS NULL)
        OR (chain_id IS NOT NULL AND seq >= 1 AND length(content_hash) = 32 AND length(chain_hash) = 32)),
    ADD CONSTRAINT tracking_events_chain_fk FOREIGN KEY (seller_id, chain_id) REFERENCES evidence_chains (seller_id, id);
CREATE UNIQUE INDEX tracking_events_chain_idx ON tracking_events (chain_id, seq);

CREATE TABLE proof_of_delivery (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id            uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    chain_id             bigint NOT NULL,
    seq                  bigint NOT NULL CHECK (seq >= 1),
    -- The shipment the proof was recorded for through the API; NULL for a
    -- proof made from a carrier event, which belongs to the number.
    shipment_id          uuid,
    -- The carrier event a proof was made from, and that event's key plus
    -- the signer and photo URL: a resent event makes no second proof.
    event_id             bigint REFERENCES tracking_events (id),
    origin               bytea,
    delivered_at         timestamptz NOT NULL,
    signed_by            text NOT NULL DEFAULT '' CHECK (length(signed_by) <= 200),
    latitude             double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude            double precision CHECK (longitude BETWEEN -180 AND 180),
    location_description text NOT NULL DEFAULT '' CHECK (length(location_description) <= 500),
    -- Lower-case hex SHA-256 of the image bytes, '' without an image: what
    -- the content hash covers (the bytes live in proof_images).
    photo_sha256         text NOT NULL DEFAULT '' CHECK (photo_sha256 ~ '^([0-9a-f]{64})?$'),
    signature_sha256     text NOT NULL DEFAULT '' CHECK (signature_sha256 ~ '^([0-9a-f]{64})?$'),
    carrier_reference    text NOT NULL DEFAULT '' CHECK (length(carrier_reference) <= 200),
    source               text NOT NULL CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'BACK_OFFICE')),
    recorded_at          timestamptz NOT NULL,
    content_hash         bytea NOT NULL CHECK (length(content_hash) = 32),
    chain_hash           bytea NOT NULL CHECK (length(chain_hash) = 32),
    CONSTRAINT proof_of_delivery_coordinates CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CONSTRAINT proof_of_delivery_seq UNIQUE (chain_id, seq),
    CONSTRAINT proof_of_delivery_origin UNIQUE (seller_id, origin),
    CONSTRAINT proof_of_delivery_tenant UNIQUE (seller_id, id),
    FOREIGN KEY (seller_id, chain_id) REFERENCES evidence_chains (seller_id, id),
    FOREIGN KEY (seller_id, shipment_id) REFERENCES shipments (seller_id, id)
);

-- Photo and signature bytes, apart from the proof rows so that lists of
-- proofs never drag megabytes along.
CREATE TABLE proof_images (
    seller_id    uuid NOT NULL,
    proof_id     uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('photo', 'signature')),
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif')),
    data         bytea NOT NULL,
    PRIMARY KEY (proof_id, kind),
    FOREIGN KEY (seller_id, proof_id) REFERENCES proof_of_delivery (seller_id, id)
);
-- Images are compressed already: store them out of line without trying again.
ALTER TABLE proof_images ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE disputes (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id              uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    shipment_id            uuid NOT NULL,
    kind                   text NOT NULL CHECK (kind IN ('NOT_RECEIVED', 'A_TO_Z_CLAIM', 'CHARGEBACK', 'DAMAGED', 'OTHER')),
    -- The marketplace's claim id or the card network's case number.
    external_reference     text NOT NULL DEFAULT '' CHECK (length(external_reference) <= 200),
    respond_by             timestamptz,
    -- Kept as numeric and read back as text: no rounding on the way.
    amount                 numeric CHECK (amount >= 0),
    currency               text NOT NULL DEFAULT '' CHECK (currency ~ '^([A-Z]{3})?$'),
    note                   text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    status                 text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    outcome                text CHECK (outcome IN ('WON', 'LOST', 'WITHDRAWN')),
    opened_at              timestamptz NOT NULL DEFAULT now(),
    closed_at              timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    -- Every evidence pack generated for the dispute counts; the
    -- DISPUTE_DUE_SOON rule reads these.
    packs_generated        integer NOT NULL DEFAULT 0 CHECK (packs_generated >= 0),
    last_pack_generated_at timestamptz,
    CONSTRAINT disputes_closed CHECK ((status = 'CLOSED') = (outcome IS NOT NULL AND closed_at IS NOT NULL)),
    FOREIGN KEY (seller_id, shipment_id) REFERENCES shipments (seller_id, id)
);
-- A marketplace reference names one dispute: a retried openDispute is refused, never doubled.
CREATE UNIQUE INDEX disputes_reference_key ON disputes (seller_id, kind, external_reference) WHERE external_reference <> '';
CREATE INDEX disputes_seller_opened_idx ON disputes (seller_id, opened_at DESC, id DESC);
CREATE INDEX disputes_shipment_idx ON disputes (shipment_id);
CREATE INDEX disputes_open_respond_idx ON disputes (respond_by) WHERE status = 'OPEN';

-- Evidence rows never change. Only the retention job, which runs
-- SET LOCAL shipwatch.retention = 'on' in its own transaction, may delete.
CREATE FUNCTION shipwatch_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('shipwatch.retention', true), '') = 'on' THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of % refused: evidence is immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'SW001', HINT = 'only the evidence retention job may delete evidence';
END
$$;

CREATE TRIGGER tracking_events_immutable BEFORE UPDATE OR DELETE ON tracking_events
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER tracking_events_no_truncate BEFORE TRUNCATE ON tracking_events
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER proof_of_delivery_immutable BEFORE UPDATE OR DELETE ON proof_of_delivery
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER proof_of_delivery_no_truncate BEFORE TRUNCATE ON proof_of_delivery
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER proof_images_immutable BEFORE UPDATE OR DELETE ON proof_images
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_immutable();
CREATE TRIGGER proof_images_no_truncate BEFORE TRUNCATE ON proof_images
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_immutable();

-- A chain's head only moves forward: an append raises records, and nothing
-- else about the chain changes. Deleting a chain is the retention job's.
CREATE FUNCTION shipwatch_evidence_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('shipwatch.retention', true), '') = 'on' THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.records > OLD.records
        AND (NEW.id, NEW.seller_id, NEW.normalized_tracking_number, NEW.shipment_id, NEW.created_at)
            IS NOT DISTINCT FROM (OLD.id, OLD.seller_id, OLD.normalized_tracking_number, OLD.shipment_id, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of % refused: an evidence chain only grows', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'SW001', HINT = 'only the evidence retention job may delete evidence';
END
$$;

CREATE TRIGGER evidence_chains_guard BEFORE UPDATE OR DELETE ON evidence_chains
    FOR EACH ROW EXECUTE FUNCTION shipwatch_evidence_chain_guard();
CREATE TRIGGER evidence_chains_no_truncate BEFORE TRUNCATE ON evidence_chains
    FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_evidence_chain_guard();
