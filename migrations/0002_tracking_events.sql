-- 0002: carrier events. Events are keyed on the seller and the normalised
-- tracking number, not on a shipment: an event applies to every shipment of
-- the seller with that number, including shipments created after it arrived.
-- fingerprint makes a resent event (AfterShip resends every checkpoint,
-- providers retry) a no-op.

CREATE TABLE tracking_events (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id                  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    normalized_tracking_number text NOT NULL CHECK (normalized_tracking_number <> ''),
    fingerprint                bytea NOT NULL,
    source                     text NOT NULL CHECK (source IN ('EASYPOST', 'AFTERSHIP', 'BACK_OFFICE')),
    occurred_at                timestamptz NOT NULL,
    status                     text NOT NULL CHECK (status IN (
        'PENDING', 'LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'AVAILABLE_FOR_PICKUP',
        'DELIVERY_ATTEMPTED', 'DELIVERED', 'EXCEPTION', 'RETURNED_TO_SENDER', 'CANCELLED')),
    carrier                    text NOT NULL DEFAULT '',
    carrier_status             text NOT NULL DEFAULT '',
    provider_status            text NOT NULL DEFAULT '',
    provider_detail            text NOT NULL DEFAULT '',
    description                text NOT NULL DEFAULT '',
    city                       text NOT NULL DEFAULT '',
    region                     text NOT NULL DEFAULT '',
    postal_code                text NOT NULL DEFAULT '',
    country                    text NOT NULL DEFAULT '',
    estimated_delivery_at      timestamptz,
    signed_by                  text NOT NULL DEFAULT '',
    photo_url                  text NOT NULL DEFAULT '',
    received_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tracking_events_once UNIQUE (seller_id, fingerprint)
);
CREATE INDEX tracking_events_timeline_idx
    ON tracking_events (seller_id, normalized_tracking_number, occurred_at, id);
