-- Delivery forecasts (docs/forecast.md): where a seller's parcels leave
-- from, and each lane's transit times learned one delivery at a time, so a
-- forecast reads a lane's histogram instead of the seller's history.
--
-- sellers.origin_*: the default origin of the seller's parcels (settings);
-- shipments.origin_*: a shipment's own, when the seller sends one ('' for
-- the seller's default). delivery_risk_threshold: DELIVERY_AT_RISK's
-- probability of missing deliverBy.
ALTER TABLE sellers
    ADD COLUMN origin_postal_code text NOT NULL DEFAULT '' CHECK (length(origin_postal_code) <= 20),
    ADD COLUMN origin_country text NOT NULL DEFAULT '' CHECK (origin_country ~ '^([A-Z]{2})?$'),
    ADD COLUMN delivery_risk_threshold double precision NOT NULL DEFAULT 0.5
        CHECK (delivery_risk_threshold > 0 AND delivery_risk_threshold < 1);

-- transit_learned: the delivery is in lane_transit, so a shipment that is
-- delivered again (a later DELIVERED event) is not counted twice.
ALTER TABLE shipments
    ADD COLUMN origin_postal_code text NOT NULL DEFAULT '' CHECK (length(origin_postal_code) <= 20),
    ADD COLUMN origin_country text NOT NULL DEFAULT '' CHECK (origin_country ~ '^([A-Z]{2})?$'),
    ADD COLUMN transit_learned boolean NOT NULL DEFAULT false;

-- One row per seller, lane key (internal/forecast: Lane.Keys, finest to
-- coarsest), week of delivery (its Monday, UTC) and transit time in
-- business days: how many deliveries took that long. Forecasts read a
-- parcel's lane keys by the primary key; learning adds to the rows in key
-- order (docs/locking.md), so two deliveries never deadlock on them.
CREATE TABLE lane_transit (
    seller_id  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    lane       text NOT NULL,
    week       date NOT NULL,
    days       smallint NOT NULL CHECK (days BETWEEN 0 AND 30),
    deliveries integer NOT NULL CHECK (deliveries >= 0),
    PRIMARY KEY (seller_id, lane, week, days)
);
