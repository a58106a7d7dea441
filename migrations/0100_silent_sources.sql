-- 0100: a webhook source that silently stops is detected (docs/carriers.md,
-- Silent webhook sources). A webhook source is only heard from: an outage at
-- the provider, a webhook disabled after failed retries or a URL changed by
-- mistake all look like silence. To tell abnormal silence from a quiet hour,
-- the silence check compares the silent hours with the same clock hours of
-- the week before, which needs each source's deliveries per hour: this
-- table, written with the source's health after each delivery batch and
-- kept nine days (a week before a silence of up to two days).

CREATE TABLE source_delivery_hours (
    seller_id  uuid NOT NULL,
    source_id  uuid NOT NULL,
    -- The hour's start, UTC; deliveries counted in [hour, hour + 1 hour).
    hour       timestamptz NOT NULL,
    deliveries integer NOT NULL CHECK (deliveries > 0),
    PRIMARY KEY (source_id, hour),
    -- Only webhook sources deliver; a source's counts go with it.
    CONSTRAINT source_delivery_hours_source_fk FOREIGN KEY (seller_id, source_id)
        REFERENCES tracking_sources (seller_id, id) ON DELETE CASCADE
);
-- The primary key serves the silence check (one source's hours in a
-- range). The retention delete, once per sweep, removes the hours older
-- than nine days of every source: this index finds them without reading
-- the rest.
CREATE INDEX source_delivery_hours_hour_idx ON source_delivery_hours (hour);
COMMENT ON INDEX source_delivery_hours_hour_idx IS
    'Retention of hourly delivery counts (store.ExpireDeliveryHours): the hours older than nine days.';
-- The silence check counts a seller's open shipments awaiting webhook
-- scans (store.ShipmentsAwaitingWebhookScans) through the partial indexes
-- of the two no-news rules.
COMMENT ON INDEX shipments_unscanned_idx IS
    'Rule INACTIVE_TRACKING: shipped, never scanned, by shipped_at. Silence check: shipped recently, awaiting a first scan.';
COMMENT ON INDEX shipments_moving_idx IS
    'Rule STALLED: scanned, not delivered, by last_event_at. Silence check: moved recently, awaiting scans.';
