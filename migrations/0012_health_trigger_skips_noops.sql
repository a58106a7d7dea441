-- 0012: the account-health trigger returns at once when its statement
-- changed nothing the rollup reads. Carrier events update shipments all the
-- time (last_event_at moves with every scan) and the event refresh and the
-- monitoring check run an UPDATE on every batch, often matching no row; a
-- statement-level trigger fires all the same, and each firing planned and
-- ran the six-way aggregate of health_count_sql (about a millisecond of
-- PostgreSQL CPU, more on a busy machine) to insert nothing.
--
-- The guard is exact: health_count_sql reads only the columns compared
-- below (seller, carrier, detected carrier, number present, cancelled,
-- shipped_at, created_at, never scanned, tracking valid, ship_by,
-- deliver_by, delivered_at), so rows equal in all of them add and take
-- away the same counts at the same slot. A change to health_count_sql that
-- reads another column must add it here.
CREATE OR REPLACE FUNCTION health_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto uuid;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            SELECT 1 FROM new_rows n FULL JOIN old_rows o ON o.id = n.id
            WHERE n.id IS NULL OR o.id IS NULL
                OR (n.seller_id, n.carrier, n.tracking_carrier, n.normalized_tracking_number <> '', n.status = 'CANCELLED',
                    n.shipped_at, n.created_at, n.first_scan_at IS NULL, n.tracking_valid, n.ship_by, n.deliver_by, n.delivered_at)
                IS DISTINCT FROM
                    (o.seller_id, o.carrier, o.tracking_carrier, o.normalized_tracking_number <> '', o.status = 'CANCELLED',
                    o.shipped_at, o.created_at, o.first_scan_at IS NULL, o.tracking_valid, o.ship_by, o.deliver_by, o.delivered_at)
        ) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
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
