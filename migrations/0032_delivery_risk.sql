-- DELIVERY_AT_RISK from the delivery forecast (docs/forecast.md): the
-- instant a shipment's probability of missing deliverBy passes the
-- seller's threshold, as the days pass without a delivery. The check of a
-- shipment computes it from the lane histograms (internal/forecast:
-- RiskFrom); the probability only grows with time, so the rule's sweep
-- form compares the instant with its time and nothing recomputes it as
-- time passes. NULL: the risk never passes the threshold (or no history).
ALTER TABLE shipments
    ADD COLUMN forecast_risk_from timestamptz,
    ADD COLUMN forecast_miss_probability double precision,
    ADD COLUMN forecast_lane text NOT NULL DEFAULT '';

CREATE INDEX shipments_forecast_risk_idx ON shipments (seller_id, forecast_risk_from)
    WHERE delivered_at IS NULL AND cancelled_at IS NULL AND forecast_risk_from IS NOT NULL;
COMMENT ON INDEX shipments_forecast_risk_idx IS
    'DELIVERY_AT_RISK (forecast case): the sweep reads a seller''s undelivered shipments whose forecast risk has started.';
