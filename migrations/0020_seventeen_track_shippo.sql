-- 0020: two more tracking providers, 17TRACK and Shippo (docs/events.md).
--
-- A Shippo source is authenticated by a token in its webhook URL, which
-- Shipwatch only has to compare, never to read back: it is kept as its
-- SHA-256 (token_hash), and such a source has no sealed secret. A 17TRACK
-- source keeps its account key sealed, like the other secrets, because
-- the key both checks the webhooks' sign and registers numbers.
--
-- A 17TRACK source may register every uploaded shipment's number with
-- 17TRACK (auto_register): tracking_registrations is the queue and the
-- record of that, one row per (source, number), and the source keeps the
-- last error 17TRACK answered (a spent quota, a bad key) for the seller.
--
-- shipments.last_event_source says which source supplied the event a
-- shipment's status follows; RefreshShipments keeps it with the status.

ALTER TABLE tracking_sources DROP CONSTRAINT tracking_sources_provider_check,
    ADD CONSTRAINT tracking_sources_provider_check
        CHECK (provider IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO'));
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_provider_check,
    ADD CONSTRAINT webhook_deliveries_provider_check
        CHECK (provider IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO'));
ALTER TABLE tracking_events DROP CONSTRAINT tracking_events_source_check,
    ADD CONSTRAINT tracking_events_source_check
        CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO', 'BACK_OFFICE'));
ALTER TABLE proof_of_delivery DROP CONSTRAINT proof_of_delivery_source_check,
    ADD CONSTRAINT proof_of_delivery_source_check
        CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO', 'BACK_OFFICE'));

ALTER TABLE tracking_sources
    -- SHA-256 of a Shippo source's URL token; NULL for other providers and
    -- once the source is deleted.
    ADD COLUMN token_hash      bytea CHECK (token_hash IS NULL OR length(token_hash) = 32),
    ADD COLUMN auto_register   boolean NOT NULL DEFAULT false,
    -- What the provider last answered when a call failed, cleared by the
    -- next call that succeeds.
    ADD COLUMN last_error      text CHECK (length(last_error) <= 1000),
    ADD COLUMN last_error_at   timestamptz,
    ADD COLUMN last_success_at timestamptz,
    DROP CONSTRAINT tracking_sources_secret_while_live,
    ADD CONSTRAINT tracking_sources_credential_while_live
        CHECK ((deleted_at IS NULL) = (secret_sealed IS NOT NULL OR token_hash IS NOT NULL)),
    ADD CONSTRAINT tracking_sources_shippo_token
        CHECK (provider <> 'SHIPPO' OR deleted_at IS NOT NULL OR token_hash IS NOT NULL),
    ADD CONSTRAINT tracking_sources_register_17track
        CHECK (NOT auto_register OR provider = 'SEVENTEEN_TRACK');

CREATE TABLE tracking_registrations (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id                  uuid NOT NULL,
    source_id                  uuid NOT NULL,
    normalized_tracking_number text NOT NULL
        CHECK (normalized_tracking_number <> '' AND length(normalized_tracking_number) <= 64),
    -- PENDING: to send; REGISTERED: 17TRACK accepted it (or had it
    -- already); REJECTED: 17TRACK refused this number (error_*);
    -- STOPPED: 17TRACK said it stopped tracking it (TRACKING_STOPPED).
    state                      text NOT NULL DEFAULT 'PENDING'
        CHECK (state IN ('PENDING', 'REGISTERED', 'REJECTED', 'STOPPED')),
    -- A job sending this row holds it until then; a job that died leaves
    -- it to the next one after that.
    leased_until               timestamptz,
    attempts                   integer NOT NULL DEFAULT 0,
    error_code                 integer,
    error_message              text CHECK (length(error_message) <= 500),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tracking_registrations_number UNIQUE (source_id, normalized_tracking_number),
    CONSTRAINT tracking_registrations_source_fk FOREIGN KEY (seller_id, source_id)
        REFERENCES tracking_sources (seller_id, id) ON DELETE CASCADE
);
-- The registration job's claim: a source's pending numbers, oldest first.
CREATE INDEX tracking_registrations_pending_idx ON tracking_registrations (source_id, id)
    WHERE state = 'PENDING';

ALTER TABLE shipments ADD COLUMN last_event_source text NOT NULL DEFAULT '';
UPDATE shipments sh SET last_event_source = coalesce((
        SELECT e.source FROM tracking_events e
        WHERE e.seller_id = sh.seller_id AND e.normalized_tracking_number = sh.normalized_tracking_number
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), '')
    WHERE sh.last_event_at IS NOT NULL AND sh.normalized_tracking_number <> '';
