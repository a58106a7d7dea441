-- 0025: direct carrier tracking with the seller's own credentials
-- (docs/carriers.md). A carrier account holds the seller's OAuth client
-- credentials for UPS, FedEx or USPS, sealed like webhook secrets; polled
-- events are stored like any other carrier event, under the carrier's
-- name as their source. Every source (webhook source or carrier account)
-- has a health row the seller can read, and that the monitoring rules
-- read to hold "no news" flags while the source itself is failing.

-- Polled events name their carrier as their source (beside the webhook
-- providers of migration 0020).
ALTER TABLE tracking_events DROP CONSTRAINT tracking_events_source_check;
ALTER TABLE tracking_events ADD CONSTRAINT tracking_events_source_check
    CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO', 'BACK_OFFICE', 'UPS', 'FEDEX', 'USPS'));
-- A polled DELIVERED event with a signer makes a proof of delivery, as a
-- webhook's does: the proof names the same source.
ALTER TABLE proof_of_delivery DROP CONSTRAINT proof_of_delivery_source_check;
ALTER TABLE proof_of_delivery ADD CONSTRAINT proof_of_delivery_source_check
    CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'SEVENTEEN_TRACK', 'SHIPPO', 'BACK_OFFICE', 'UPS', 'FEDEX', 'USPS'));
-- The carrier's own text of a time it gave without a zone (UPS activity
-- date and time, USPS eventTimestamp), kept beside occurred_at, which is
-- that time resolved from the scan's location to UTC.
ALTER TABLE tracking_events ADD COLUMN occurred_local text NOT NULL DEFAULT ''
    CHECK (length(occurred_local) <= 64);

CREATE TABLE carrier_accounts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id          uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    carrier            text NOT NULL CHECK (carrier IN ('UPS', 'FEDEX', 'USPS')),
    -- PRODUCTION and SANDBOX use the carrier's documented base URLs;
    -- CUSTOM uses base_url, which the operator's network guard checked.
    environment        text NOT NULL CHECK (environment IN ('PRODUCTION', 'SANDBOX', 'CUSTOM')),
    base_url           text NOT NULL DEFAULT '' CHECK (length(base_url) <= 2048),
    -- The client id's last four characters, to tell accounts apart; the
    -- whole id and the secret are only in credentials_sealed.
    client_id_hint     text NOT NULL DEFAULT '' CHECK (length(client_id_hint) <= 8),
    -- nonce || ciphertext || tag of the JSON credentials; NULL once deleted.
    credentials_sealed bytea CHECK (credentials_sealed IS NULL OR length(credentials_sealed) > 28),
    key_id             text NOT NULL,
    -- Requests the poller may make per hour and per day (NULL: the
    -- carrier's default, docs/carriers.md).
    hourly_budget      integer CHECK (hourly_budget > 0),
    daily_budget       integer CHECK (daily_budget > 0),
    -- When the poll schedule last took in the seller's new shipments.
    polls_synced_at    timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT carrier_accounts_custom_url CHECK ((environment = 'CUSTOM') = (base_url <> '')),
    CONSTRAINT carrier_accounts_sealed_while_live CHECK ((deleted_at IS NULL) = (credentials_sealed IS NOT NULL)),
    CONSTRAINT carrier_accounts_seller_id UNIQUE (seller_id, id)
);
-- One live account per carrier and seller: it is the source of that
-- carrier's scans for the seller's shipments (the hold of the monitoring
-- rules reads it by this key).
CREATE UNIQUE INDEX carrier_accounts_live_idx ON carrier_accounts (seller_id, carrier) WHERE deleted_at IS NULL;

-- Requests spent per account and period (hour, day), reserved before they
-- are sent, by every replica through the same rows.
CREATE TABLE carrier_usage (
    account_id   uuid NOT NULL REFERENCES carrier_accounts (id) ON DELETE CASCADE,
    period       text NOT NULL CHECK (period IN ('hour', 'day')),
    period_start timestamptz NOT NULL,
    requests     integer NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (account_id, period, period_start)
);

-- The poll schedule: one row per open shipment of a carrier the seller
-- has an account for. A poller claims due rows by moving next_poll_at
-- forward in the claiming statement (SKIP LOCKED), so one shipment is
-- polled once per period whatever the number of replicas.
CREATE TABLE carrier_polls (
    shipment_id    uuid PRIMARY KEY,
    seller_id      uuid NOT NULL,
    account_id     uuid NOT NULL,
    next_poll_at   timestamptz NOT NULL,
    -- Lower first when there is not quota for every due row (carrier.Plan).
    priority       smallint NOT NULL,
    last_polled_at timestamptz,
    polls          integer NOT NULL DEFAULT 0,
    -- What the last poll found: '', OK, NOT_FOUND, RECYCLED, ERROR.
    last_result    text NOT NULL DEFAULT '',
    FOREIGN KEY (seller_id, shipment_id) REFERENCES shipments (seller_id, id) ON DELETE CASCADE,
    FOREIGN KEY (seller_id, account_id) REFERENCES carrier_accounts (seller_id, id) ON DELETE CASCADE
);
-- The claim: an account's due rows, most urgent first.
CREATE INDEX carrier_polls_due_idx ON carrier_polls (account_id, priority, next_poll_at);

-- The health of each source, keyed by the source's id: a tracking_sources
-- row (webhooks) or a carrier_accounts row (polling).
CREATE TABLE source_health (
    source_id            uuid PRIMARY KEY,
    seller_id            uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    kind                 text NOT NULL CHECK (kind IN ('WEBHOOK', 'CARRIER_ACCOUNT')),
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    last_error           text NOT NULL DEFAULT '' CHECK (length(last_error) <= 500),
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- Counts of the current hour and the one before it: the error rate.
    window_start         timestamptz NOT NULL,
    ok_current           integer NOT NULL DEFAULT 0,
    failed_current       integer NOT NULL DEFAULT 0,
    ok_previous          integer NOT NULL DEFAULT 0,
    failed_previous      integer NOT NULL DEFAULT 0,
    -- Seconds between the newest event a success brought and its arrival.
    lag_seconds          double precision,
    -- Set while the source is failing (source.Degraded decides); the
    -- monitoring rules hold INACTIVE_TRACKING and STALLED meanwhile.
    degraded_since       timestamptz,
    degraded_reason      text NOT NULL DEFAULT '' CHECK (length(degraded_reason) <= 500),
    -- Do not call the source before this (a Retry-After or a back-off).
    retry_at             timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- The rules' hold reads a seller's degraded sources.
CREATE INDEX source_health_degraded_idx ON source_health (seller_id) WHERE degraded_since IS NOT NULL;
