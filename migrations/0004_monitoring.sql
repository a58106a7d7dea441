-- 0004: monitoring. Flags are what the monitoring rules raise on shipments
-- and clear when their condition stops holding; history is kept, and at most
-- one flag of a kind is open per shipment (a unique partial index, so two
-- workers racing to raise the same flag insert it once). Sellers get their
-- rule thresholds; notification endpoints and deliveries record what was
-- sent to a seller's back office; sweeps record each periodic run so two
-- processes never sweep the same period twice.

ALTER TABLE sellers
    ADD COLUMN inactive_tracking_hours integer NOT NULL DEFAULT 48
        CHECK (inactive_tracking_hours BETWEEN 1 AND 720),
    ADD COLUMN stalled_days integer NOT NULL DEFAULT 5
        CHECK (stalled_days BETWEEN 1 AND 90);

-- A flag's shipment must belong to the flag's seller: a tenant foreign key.
ALTER TABLE shipments ADD CONSTRAINT shipments_seller_id_key UNIQUE (seller_id, id);

CREATE TABLE flags (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id       uuid NOT NULL,
    shipment_id     uuid NOT NULL,
    -- Kinds are the GraphQL enum FlagKind; not a CHECK list, so a rule can be
    -- added without rewriting this table.
    kind            text NOT NULL CHECK (kind ~ '^[A-Z][A-Z_]*$'),
    severity        text NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'CRITICAL')),
    message         text NOT NULL,
    raised_at       timestamptz NOT NULL,
    acknowledged_at timestamptz,
    resolved_at     timestamptz,
    -- AUTO when the condition stopped holding, MANUAL when the seller closed it.
    resolution      text CHECK (resolution IN ('AUTO', 'MANUAL')),
    resolution_note text NOT NULL DEFAULT '',
    -- A flag resolved by hand while its condition still held suppresses new
    -- flags of its kind on its shipment until the condition stops holding: a
    -- seller who closed "delivered late" must not see it raised again.
    suppressing     boolean NOT NULL DEFAULT false,
    CONSTRAINT flags_resolution_set CHECK ((resolved_at IS NULL) = (resolution IS NULL)),
    CONSTRAINT flags_shipment_fk FOREIGN KEY (seller_id, shipment_id)
        REFERENCES shipments (seller_id, id) ON DELETE CASCADE
);
-- The invariant: one open flag of a kind per shipment.
CREATE UNIQUE INDEX flags_open_once ON flags (shipment_id, kind) WHERE resolved_at IS NULL;
-- Lists are newest first with a (raised_at, id) keyset cursor.
CREATE INDEX flags_seller_raised_idx ON flags (seller_id, raised_at DESC, id DESC);
CREATE INDEX flags_shipment_idx ON flags (shipment_id, raised_at DESC, id DESC);
-- Auto-resolution and open-flag counts read only open flags of a kind.
CREATE INDEX flags_open_kind_idx ON flags (kind, seller_id) WHERE resolved_at IS NULL;
CREATE INDEX flags_suppressing_idx ON flags (kind, seller_id) WHERE suppressing;

-- Partial indexes for the time-based rules: each holds only the shipments
-- that could be candidates of one rule, so a sweep over a million open
-- shipments reads the few that qualify instead of scanning them all. The
-- rule SQL repeats each predicate exactly so the planner can use them.
CREATE INDEX shipments_unscanned_idx ON shipments (seller_id, shipped_at)
    WHERE first_scan_at IS NULL AND cancelled_at IS NULL AND normalized_tracking_number <> '' AND shipped_at IS NOT NULL;
CREATE INDEX shipments_moving_idx ON shipments (seller_id, last_event_at)
    WHERE delivered_at IS NULL AND cancelled_at IS NULL AND first_scan_at IS NOT NULL;
CREATE INDEX shipments_unshipped_idx ON shipments (seller_id, ship_by)
    WHERE shipped_at IS NULL AND first_scan_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX shipments_shipped_late_idx ON shipments (seller_id)
    WHERE cancelled_at IS NULL AND coalesce(shipped_at, first_scan_at) > ship_by;
CREATE INDEX shipments_undelivered_idx ON shipments (seller_id, deliver_by)
    WHERE delivered_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX shipments_estimate_late_idx ON shipments (seller_id, deliver_by)
    WHERE delivered_at IS NULL AND cancelled_at IS NULL AND estimated_delivery_at > deliver_by;
CREATE INDEX shipments_delivered_late_idx ON shipments (seller_id)
    WHERE cancelled_at IS NULL AND delivered_at > deliver_by;

-- One endpoint per seller. The signing secret is sealed with AES-GCM under
-- the server's key (SHIPWATCH_SECRET_KEY): it must be readable to sign.
CREATE TABLE notification_endpoints (
    seller_id  uuid PRIMARY KEY REFERENCES sellers (id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (url ~ '^https?://'),
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per notification; payload is the exact body signed and sent.
-- attempts is a JSON array, bounded by the retry schedule.
CREATE TABLE notification_deliveries (
    id            uuid PRIMARY KEY,
    seller_id     uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    event         text NOT NULL,
    payload       text NOT NULL,
    state         text NOT NULL DEFAULT 'PENDING'
        CHECK (state IN ('PENDING', 'RETRYING', 'DELIVERED', 'FAILED', 'CANCELLED')),
    attempts      jsonb NOT NULL DEFAULT '[]',
    attempt_count integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX notification_deliveries_seller_idx ON notification_deliveries (seller_id, created_at DESC, id DESC);

-- One row per sweep period: a second run of the same period finds it.
CREATE TABLE monitor_sweeps (
    period      timestamptz PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    raised      integer NOT NULL DEFAULT 0,
    resolved    integer NOT NULL DEFAULT 0
);

