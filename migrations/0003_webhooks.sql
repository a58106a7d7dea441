-- 0003: tracking sources and webhook deliveries. A seller points a tracking
-- provider (EasyPost, AfterShip) at a source; the provider signs each
-- webhook with the source's secret, which is kept encrypted (AES-256-GCM
-- under SHIPWATCH_SECRET_KEY) because we must read it back to verify
-- signatures. A delivery is stored, raw, before the provider gets its 2xx:
-- what a sender was told is saved is never lost, and a River job turns it
-- into carrier events afterwards.

CREATE TABLE tracking_sources (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id        uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    provider         text NOT NULL CHECK (provider IN ('EASYPOST', 'AFTERSHIP')),
    -- nonce || ciphertext || tag; NULL once the source is deleted, so a
    -- deleted source's secret is gone while its deliveries keep their source.
    secret_sealed    bytea CHECK (secret_sealed IS NULL OR length(secret_sealed) > 28),
    -- Which key sealed the secret (a digest of it, never the key): a replica
    -- with another key says so instead of failing every signature.
    key_id           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    CONSTRAINT tracking_sources_secret_while_live CHECK ((deleted_at IS NULL) = (secret_sealed IS NOT NULL)),
    -- The target of the tenant foreign key below.
    CONSTRAINT tracking_sources_seller_id UNIQUE (seller_id, id)
);
CREATE INDEX tracking_sources_seller_idx ON tracking_sources (seller_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id         uuid NOT NULL,
    source_id         uuid NOT NULL,
    provider          text NOT NULL CHECK (provider IN ('EASYPOST', 'AFTERSHIP')),
    -- The provider's id of the delivery (EasyPost Event id, AfterShip
    -- event_id), for support and logs; resends are deduplicated per event.
    provider_event_id text NOT NULL DEFAULT '',
    -- Request headers as received, minus credentials (Authorization,
    -- cookies). Signature headers stay: they prove the body's origin.
    headers           jsonb NOT NULL,
    -- The body byte for byte, as signed.
    body              bytea NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz,
    -- How many carrier events the body carried, once processed.
    events            integer,
    -- Why processing could not use the body (it had passed validation on
    -- receipt, so this is rare); the delivery is kept either way.
    error             text,
    -- A delivery always belongs to its source's seller.
    CONSTRAINT webhook_deliveries_source_fk FOREIGN KEY (seller_id, source_id)
        REFERENCES tracking_sources (seller_id, id) ON DELETE CASCADE
);
-- What is still to process, oldest first: the sweep that re-enqueues
-- deliveries whose job was lost reads it.
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (received_at) WHERE processed_at IS NULL;
CREATE INDEX webhook_deliveries_source_idx ON webhook_deliveries (source_id, received_at);
