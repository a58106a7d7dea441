-- 0007: account health. The marketplace metrics (valid tracking, late
-- shipment, on-time delivery, invalid tracking) must answer in well under a
-- second for a seller with a million shipments, so they are read from a
-- rollup, health_counts, instead of counted over shipments on each request.
--
-- Why a trigger: shipments are written by several code paths (upserts,
-- updates, cancellations, event refreshes, imports). A statement-level
-- trigger with transition tables sees all of them, costs one aggregate per
-- statement rather than work per row, and writes in the same transaction as
-- the change, so the rollup is never behind.
--
-- Why append-only: the trigger only INSERTs signed deltas and never updates
-- a counter row in place, so concurrent writers (an import and a stream of
-- carrier events for the same seller) never wait on each other's counter
-- rows and cannot deadlock on them. A periodic job folds deltas together;
-- folding never changes a sum, so the numbers are exact whether or not it
-- has run.
--
-- Why quarter hours: a window runs from midnight in the seller's time zone
-- (which the seller can change) to the moment of the request. Each count is
-- kept at its exact instant until its quarter hour is over, then folded into
-- the quarter hour. Every UTC offset in the time-zone database is a whole
-- number of quarter hours, so a past quarter hour lies inside one local day
-- in any zone, and before any request's "now": sums over [midnight, now)
-- stay exact, and a zone change needs no rebuild.

-- health_slot is where a count made at `at` is kept when the current quarter
-- hour starts at `cut`: its quarter hour once that is over, else the instant.
CREATE FUNCTION health_slot(at timestamptz, cut timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN at < cut THEN date_bin('15 minutes', at, timestamptz '1970-01-01 00:00:00+00') ELSE at END
$$;

-- health_contributions is what one shipment adds to the rollup (sign 1) or
-- takes away from it (sign -1): a row per metric family it counts in, at the
-- instant that places it in a window. Cancelled shipments count nowhere.
--   tracking (VTR, ITR): shipments with a number, at shipped_at (else when
--     Shipwatch received the shipment); failing when never scanned, invalid
--     when the number fails the tracking check.
--   shipping (LSR): shipments with a ship_by, at ship_by; late when shipped
--     after it or not shipped (a window ends at "now", so its ship_by is past).
--   delivery (OTDR): shipments with a deliver_by, at the moment the outcome
--     was known: delivered_at when delivered on time, else deliver_by.
-- carrier is the declared carrier, else the one detected from the number.
CREATE FUNCTION health_contributions(sign integer, s shipments)
RETURNS TABLE (seller_id uuid, carrier text, at timestamptz,
    tracked integer, unscanned integer, invalid integer,
    due integer, shipped_late integer, promised integer, delivered_late integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s.seller_id, coalesce(nullif(s.carrier, ''), s.tracking_carrier), c.at,
        sign * c.tracked, sign * c.unscanned, sign * c.invalid,
        sign * c.due, sign * c.shipped_late, sign * c.promised, sign * c.delivered_late
    FROM (VALUES
        (coalesce(s.shipped_at, s.created_at), 1, (s.first_scan_at IS NULL)::int, (NOT s.tracking_valid)::int,
            0, 0, 0, 0, s.normalized_tracking_number <> ''),
        (s.ship_by, 0, 0, 0,
            1, (s.shipped_at IS NULL OR s.shipped_at > s.ship_by)::int, 0, 0, s.ship_by IS NOT NULL),
        (least(s.delivered_at, s.deliver_by), 0, 0, 0,
            0, 0, 1, (s.delivered_at IS NULL OR s.delivered_at > s.deliver_by)::int, s.deliver_by IS NOT NULL)
    ) AS c(at, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late, counts)
    WHERE c.counts AND s.status <> 'CANCELLED'
$$;

CREATE TABLE health_counts (
    seller_id      uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    -- The counts' instant, or their quarter hour once it is over (health_slot).
    at             timestamptz NOT NULL,
    -- The shipments' carrier code ('' when neither declared nor detected).
    carrier        text NOT NULL,
    tracked        integer NOT NULL DEFAULT 0,
    unscanned      integer NOT NULL DEFAULT 0,
    invalid        integer NOT NULL DEFAULT 0,
    due            integer NOT NULL DEFAULT 0,
    shipped_late   integer NOT NULL DEFAULT 0,
    promised       integer NOT NULL DEFAULT 0,
    delivered_late integer NOT NULL DEFAULT 0,
    -- true for the one folded row of a past quarter hour: nothing left to do.
    settled        boolean NOT NULL DEFAULT false
);
CREATE INDEX health_counts_seller_at_idx ON health_counts (seller_id, at);
CREATE INDEX health_counts_unsettled_idx ON health_counts (seller_id, carrier, at) WHERE NOT settled;

-- The trigger's statement, once per event: the net change per slot and
-- carrier. Changes that cancel out (an update touching nothing the metrics
-- read) write nothing. A seller being deleted is skipped: its rows go with
-- it through the foreign key.
CREATE FUNCTION health_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cut timestamptz := date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00');
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late)
        SELECT c.seller_id, health_slot(c.at, cut), c.carrier, sum(c.tracked), sum(c.unscanned), sum(c.invalid),
            sum(c.due), sum(c.shipped_late), sum(c.promised), sum(c.delivered_late)
        FROM new_rows n CROSS JOIN LATERAL health_contributions(1, n) c
        GROUP BY c.seller_id, health_slot(c.at, cut), c.carrier;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late)
        SELECT c.seller_id, health_slot(c.at, cut), c.carrier, sum(c.tracked), sum(c.unscanned), sum(c.invalid),
            sum(c.due), sum(c.shipped_late), sum(c.promised), sum(c.delivered_late)
        FROM (SELECT c.* FROM new_rows n CROSS JOIN LATERAL health_contributions(1, n) c
            UNION ALL SELECT c.* FROM old_rows o CROSS JOIN LATERAL health_contributions(-1, o) c) c
        GROUP BY c.seller_id, health_slot(c.at, cut), c.carrier
        HAVING (sum(c.tracked), sum(c.unscanned), sum(c.invalid), sum(c.due), sum(c.shipped_late),
            sum(c.promised), sum(c.delivered_late)) <> (0, 0, 0, 0, 0, 0, 0);
    ELSE
        INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late)
        SELECT c.seller_id, health_slot(c.at, cut), c.carrier, sum(c.tracked), sum(c.unscanned), sum(c.invalid),
            sum(c.due), sum(c.shipped_late), sum(c.promised), sum(c.delivered_late)
        FROM old_rows o CROSS JOIN LATERAL health_contributions(-1, o) c
        WHERE EXISTS (SELECT 1 FROM sellers WHERE id = c.seller_id)
        GROUP BY c.seller_id, health_slot(c.at, cut), c.carrier;
    END IF;
    RETURN NULL;
END
$$;

-- PostgreSQL allows transition tables on single-event triggers only.
CREATE TRIGGER shipments_health_insert AFTER INSERT ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION health_counts_apply();
CREATE TRIGGER shipments_health_update AFTER UPDATE ON shipments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION health_counts_apply();
CREATE TRIGGER shipments_health_delete AFTER DELETE ON shipments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION health_counts_apply();

-- Each metric's failing shipments, newest first, for the drill-down lists.
-- Partial: a shipment leaves the index once scanned, shipped or delivered.
-- The predicates are repeated word for word in store/health.go.
CREATE INDEX shipments_health_unscanned_idx ON shipments (seller_id, (coalesce(shipped_at, created_at)), id)
    WHERE normalized_tracking_number <> '' AND first_scan_at IS NULL AND status <> 'CANCELLED';
CREATE INDEX shipments_health_invalid_idx ON shipments (seller_id, (coalesce(shipped_at, created_at)), id)
    WHERE normalized_tracking_number <> '' AND NOT tracking_valid AND status <> 'CANCELLED';
CREATE INDEX shipments_health_late_ship_idx ON shipments (seller_id, ship_by, id)
    WHERE ship_by IS NOT NULL AND (shipped_at IS NULL OR shipped_at > ship_by) AND status <> 'CANCELLED';
CREATE INDEX shipments_health_late_delivery_idx ON shipments (seller_id, deliver_by, id)
    WHERE deliver_by IS NOT NULL AND (delivered_at IS NULL OR delivered_at > deliver_by) AND status <> 'CANCELLED';

-- Shipments written before this migration.
INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late)
SELECT c.seller_id, health_slot(c.at, date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00')), c.carrier,
    sum(c.tracked), sum(c.unscanned), sum(c.invalid), sum(c.due), sum(c.shipped_late), sum(c.promised), sum(c.delivered_late)
FROM shipments s CROSS JOIN LATERAL health_contributions(1, s) c
GROUP BY 1, 2, 3;
