-- 0070: the outlook job (docs/forecast.md, "Watching the projections").
-- A periodic job projects every seller's standards (health.Service.Forecast)
-- and tells the seller when a projection starts to miss its target.
--
-- Account flags. PROJECTED_MISS is about a standard of the seller's account,
-- not one shipment: its row has no shipment_id and names its standard in
-- subject ('AMAZON/VALID_TRACKING_RATE/7'). Shipment flags keep their
-- shipment and have no subject (the CHECK; NOT VALID because every row
-- before this migration has a shipment and none a subject, so nothing needs
-- scanning under the table lock). A flag without a shipment has no tenant
-- foreign key through it, so flags also reference their seller. At most one
-- account flag of a kind is open per seller and subject, as
-- flags_open_once does for shipments.
ALTER TABLE flags ALTER COLUMN shipment_id DROP NOT NULL;
ALTER TABLE flags ADD COLUMN subject text CHECK (subject ~ '^[A-Z_]+/[A-Z_]+/[0-9]+$');
ALTER TABLE flags ADD CONSTRAINT flags_subject_or_shipment CHECK ((shipment_id IS NULL) = (subject IS NOT NULL)) NOT VALID;
ALTER TABLE flags ADD CONSTRAINT flags_seller_fk FOREIGN KEY (seller_id) REFERENCES sellers (id) ON DELETE CASCADE NOT VALID;
CREATE UNIQUE INDEX flags_account_open_once ON flags (seller_id, kind, subject)
    WHERE resolved_at IS NULL AND shipment_id IS NULL;
COMMENT ON INDEX flags_account_open_once IS
    'One open account flag of a kind per seller and subject; the outlook job raises with ON CONFLICT on it (migration 0070).';

-- The last projection of each seller, marketplace, metric and window, and
-- the flag of its current crossing: set when the projection crossed (met
-- the target today, projected to miss it), cleared when the projection is
-- back on target. The job locks a seller's rows of a marketplace before it
-- raises or resolves their flags: the row owns its account flag, as a
-- shipment's row owns its flags (docs/locking.md).
CREATE TABLE health_outlook (
    seller_id      uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    marketplace    text NOT NULL CHECK (marketplace ~ '^[A-Z_]+$'),
    metric         text NOT NULL CHECK (metric ~ '^[A-Z_]+$'),
    window_days    integer NOT NULL CHECK (window_days > 0),
    status         text NOT NULL CHECK (status IN ('OK', 'AT_RISK', 'FAILING')),
    current_status text NOT NULL CHECK (current_status IN ('OK', 'AT_RISK', 'FAILING')),
    rate           double precision,
    evaluated_at   timestamptz NOT NULL,
    computed_at    timestamptz NOT NULL,
    -- The open (or by hand resolved) PROJECTED_MISS of the current crossing.
    flag_id        uuid,
    PRIMARY KEY (seller_id, marketplace, metric, window_days)
);

-- When each seller's standards were last projected by the job: a seller is
-- projected at most once per period, whichever replica runs it.
CREATE TABLE health_outlook_runs (
    seller_id uuid PRIMARY KEY REFERENCES sellers (id) ON DELETE CASCADE,
    ran_at    timestamptz NOT NULL
);
COMMENT ON TABLE health_outlook_runs IS 'The outlook job''s last run per seller (migration 0070).';
