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

-- health_count_sql is the statement that adds to the rollup what shipments
-- contribute (sign 1) or takes it away (sign -1), with $1 the start of the
-- current quarter hour. `source` is a query over rows of shipments with a
-- leading `sign` column: the trigger's transition tables (which only the
-- trigger function itself can read, hence a statement to EXECUTE rather
-- than a function to call), or the whole table when backfilling. Each shipment counts, unless cancelled, at
-- the instant that places it in a window:
--   tracking (VTR, ITR): shipments with a number, at shipped_at (else when
--     Shipwatch received the shipment); failing when never scanned, invalid
--     when the number fails the tracking check;
--   shipping (LSR): shipments with a ship_by, at ship_by; late when shipped
--     after it or not shipped (a window ends at "now", so its ship_by is past);
--   delivery (OTDR): shipments with a deliver_by, at the moment the outcome
--     was known: delivered_at when delivered on time, else deliver_by.
-- carrier is the declared carrier, else the one detected from the number.
-- Changes that cancel out (an update touching nothing the metrics read)
-- write nothing. Three scans of the source with simple filters are about
-- three times faster than one scan that fans each row out.
CREATE FUNCTION health_count_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT format($q$
        INSERT INTO health_counts (seller_id, at, carrier, tracked, unscanned, invalid, due, shipped_late, promised, delivered_late)
        SELECT seller_id, health_slot(at, $1), carrier, sum(tracked), sum(unscanned), sum(invalid),
            sum(due), sum(shipped_late), sum(promised), sum(delivered_late)
        FROM (
            SELECT seller_id, coalesce(nullif(carrier, ''), tracking_carrier) AS carrier, coalesce(shipped_at, created_at) AS at,
                sign AS tracked, sign * (first_scan_at IS NULL)::int AS unscanned, sign * (NOT tracking_valid)::int AS invalid,
                0 AS due, 0 AS shipped_late, 0 AS promised, 0 AS delivered_late
            FROM (%1$s) AS r WHERE normalized_tracking_number <> '' AND status <> 'CANCELLED'
            UNION ALL
            SELECT seller_id, coalesce(nullif(carrier, ''), tracking_carrier), ship_by,
                0, 0, 0, sign, sign * (shipped_at IS NULL OR shipped_at > ship_by)::int, 0, 0
            FROM (%1$s) AS r WHERE ship_by IS NOT NULL AND status <> 'CANCELLED'
            UNION ALL
            SELECT seller_id, coalesce(nullif(carrier, ''), tracking_carrier), least(delivered_at, deliver_by),
                0, 0, 0, 0, 0, sign, sign * (delivered_at IS NULL OR delivered_at > deliver_by)::int
            FROM (%1$s) AS r WHERE deliver_by IS NOT NULL AND status <> 'CANCELLED'
        ) AS c
        GROUP BY seller_id, health_slot(at, $1), carrier
        HAVING (sum(tracked), sum(unscanned), sum(invalid), sum(due), sum(shipped_late), sum(promised), sum(delivered_late))
            <> (0, 0, 0, 0, 0, 0, 0)$q$, source)
$fn$;

-- The trigger counts its transition tables. The
-- shipments of a seller being deleted are skipped (the EXISTS): the
-- seller's rollup goes with it through the foreign key. While the backfill
-- of the shipments written before this migration runs, the trigger counts
-- only the shipments it has passed (id <= upto), under a share lock on its
-- row; the backfill counts the rest (store/backfill.go says why that is exact).
CREATE FUNCTION health_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto uuid;
BEGIN
    SELECT b.upto INTO upto FROM schema_backfills b WHERE b.name = 'health_counts' AND b.finished_at IS NULL FOR SHARE;
    EXECUTE health_count_sql(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows WHERE id <= $2'
        WHEN 'UPDATE' THEN 'SELECT 1 AS sign, * FROM new_rows WHERE id <= $2 UNION ALL SELECT -1, * FROM old_rows WHERE id <= $2'
        ELSE 'SELECT -1 AS sign, o.* FROM old_rows o WHERE o.id <= $2 AND EXISTS (SELECT 1 FROM sellers s WHERE s.id = o.seller_id)' END)
    USING date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00'),
        coalesce(upto, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
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

-- TRUNCATE has no transition table: it empties the rollup with the table.
CREATE FUNCTION health_counts_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM health_counts;
    RETURN NULL;
END
$$;
CREATE TRIGGER shipments_health_truncate AFTER TRUNCATE ON shipments
    FOR EACH STATEMENT EXECUTE FUNCTION health_counts_truncate();

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

-- Shipments written before this migration are counted by a batched
-- backfill that the migration runner runs after the migrations, a few
-- thousand shipments per transaction (store/backfill.go), not here in one
-- transaction while other replicas serve.
INSERT INTO schema_backfills (name) VALUES ('health_counts')
    ON CONFLICT (name) DO UPDATE SET upto = DEFAULT, rows = 0, started_at = now(), finished_at = NULL;
