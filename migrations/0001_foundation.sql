-- 0001: the foundation. Sellers authenticate with API keys (stored as SHA-256
-- digests, never in clear); shipments belong to exactly one seller; carrier
-- events are kept per seller and normalised tracking number, so an event that
-- arrives before its shipment is attached as soon as the shipment exists.

CREATE TABLE sellers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    -- Dates sellers give without a zone (CSV uploads) are read in this zone;
    -- the monitoring rules use it for day boundaries.
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id    uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    -- prefix is the public part of the key (shown in listings, used to find
    -- the row); digest is SHA-256 over the whole key.
    prefix       text NOT NULL UNIQUE,
    digest       bytea NOT NULL CHECK (length(digest) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_seller_idx ON api_keys (seller_id, created_at);

CREATE TABLE shipments (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id                  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    order_id                   text NOT NULL CHECK (order_id <> ''),
    -- carrier is the declared carrier code ('' when the seller named none).
    carrier                    text NOT NULL DEFAULT '',
    tracking_number            text NOT NULL DEFAULT '',
    -- '' when the shipment has no tracking number yet.
    normalized_tracking_number text NOT NULL DEFAULT '',
    service                    text NOT NULL DEFAULT '',
    ship_by                    timestamptz,
    shipped_at                 timestamptz,
    deliver_by                 timestamptz,
    destination_postal_code    text NOT NULL DEFAULT '',
    destination_country        text NOT NULL DEFAULT '',
    status                     text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
        'PENDING', 'LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'AVAILABLE_FOR_PICKUP',
        'DELIVERY_ATTEMPTED', 'DELIVERED', 'EXCEPTION', 'RETURNED_TO_SENDER', 'CANCELLED')),
    last_event_at              timestamptz,
    delivered_at               timestamptz,
    estimated_delivery_at      timestamptz,
    -- first_scan_at is the earliest event that proves the carrier has the
    -- parcel (not a label): what marketplaces call valid tracking.
    first_scan_at              timestamptz,
    cancelled_at               timestamptz,
    -- The verdict of the tracking-number check made when the number was
    -- written; the details are recomputed from the pure check on read.
    tracking_valid             boolean NOT NULL DEFAULT false,
    tracking_reason            text NOT NULL DEFAULT '',
    tracking_carrier           text NOT NULL DEFAULT '',
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    -- A shipment's identity per seller: back offices retry, and sending the
    -- same order and number again must update, never duplicate.
    CONSTRAINT shipments_identity UNIQUE (seller_id, order_id, normalized_tracking_number)
);
-- Lists are newest first with a (created_at, id) keyset cursor.
CREATE INDEX shipments_seller_created_idx ON shipments (seller_id, created_at DESC, id DESC);
CREATE INDEX shipments_seller_tracking_idx ON shipments (seller_id, normalized_tracking_number);
CREATE INDEX shipments_seller_status_idx ON shipments (seller_id, status);
