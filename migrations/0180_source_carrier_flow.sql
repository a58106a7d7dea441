-- 0180: a webhook source that fails for one carrier only is detected
-- (docs/carriers.md, Carriers behind a webhook source). An aggregator often
-- loses one carrier's feed (its USPS events stop while UPS keeps flowing):
-- the source's total stays above the silence and flow checks' bars, and
-- that carrier's shipments would get INACTIVE_TRACKING and STALLED for our
-- outage. The carrier check judges each (source, carrier) flow like the
-- source's, which needs the deliveries per carrier and hour, and holds the
-- no-news rules only for that carrier's shipments.

-- Each webhook source's usable deliveries per hour and carrier (the
-- carrier of the delivery's number as Shipwatch names it, upper case, as
-- the rules compare it with a shipment's). Written in the statement that
-- counts the source's hour (store.RecordSourceOutcome), kept as long.
CREATE TABLE source_carrier_hours (
    seller_id  uuid NOT NULL,
    source_id  uuid NOT NULL,
    -- The hour's start, UTC; deliveries counted in [hour, hour + 1 hour).
    hour       timestamptz NOT NULL,
    carrier    text NOT NULL CHECK (carrier <> '' AND length(carrier) <= 40),
    deliveries integer NOT NULL CHECK (deliveries > 0),
    -- The carrier check reads one source's hours (a list of them) for
    -- every carrier at once: the hour before the carrier in the key.
    PRIMARY KEY (source_id, hour, carrier),
    CONSTRAINT source_carrier_hours_source_fk FOREIGN KEY (seller_id, source_id)
        REFERENCES tracking_sources (seller_id, id) ON DELETE CASCADE
);
CREATE INDEX source_carrier_hours_hour_idx ON source_carrier_hours (hour);
COMMENT ON INDEX source_carrier_hours_hour_idx IS
    'Retention of hourly delivery counts per carrier (store.ExpireDeliveryHours): the hours older than nine days.';

-- A (source, carrier) the carrier check holds: a row exists while the
-- carrier's flow through the source is judged failing, and is deleted
-- when it recovers. The source's own health row is left alone: the source
-- works for its other carriers.
CREATE TABLE source_carrier_health (
    seller_id       uuid NOT NULL,
    source_id       uuid NOT NULL,
    carrier         text NOT NULL CHECK (carrier <> '' AND length(carrier) <= 40),
    degraded_since  timestamptz NOT NULL,
    degraded_reason text NOT NULL CHECK (length(degraded_reason) <= 500),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (source_id, carrier),
    CONSTRAINT source_carrier_health_source_fk FOREIGN KEY (seller_id, source_id)
        REFERENCES tracking_sources (seller_id, id) ON DELETE CASCADE
);
-- The no-news rules ask, for a shipment, whether the seller has a source
-- held for the shipment's carrier (flag.degradedCarrierOf): one probe.
CREATE INDEX source_carrier_health_seller_idx ON source_carrier_health (seller_id, carrier);
COMMENT ON INDEX source_carrier_health_seller_idx IS
    'Rules INACTIVE_TRACKING, STALLED, SOURCE_DEGRADED: the seller''s webhook sources held for the shipment''s carrier.';
