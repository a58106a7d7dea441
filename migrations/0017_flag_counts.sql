-- Open flags by kind, kept by triggers, so /metrics reads a few dozen rows
-- instead of counting the open flags of every seller at each scrape (3.9 s
-- at about 200,000 shipments, past the scrape timeout).
--
-- Each transaction adds its changes to the row of its backend's slot
-- (pg_backend_pid() % 64), so concurrent writers of flags almost never
-- wait on one another's counter row; a reader sums the slots. A statement
-- that changes flags of several kinds updates their rows in kind order.
CREATE TABLE flag_counts (
    kind text NOT NULL,
    slot integer NOT NULL,
    open bigint NOT NULL,
    PRIMARY KEY (kind, slot)
);

CREATE FUNCTION shipwatch_flag_counts_apply(deltas jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO flag_counts (kind, slot, open)
    SELECT d.key, pg_backend_pid() % 64, d.value::bigint
    FROM jsonb_each_text(deltas) AS d
    WHERE d.value::bigint <> 0
    ORDER BY d.key
    ON CONFLICT (kind, slot) DO UPDATE SET open = flag_counts.open + EXCLUDED.open
$$;

CREATE FUNCTION shipwatch_flag_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM shipwatch_flag_counts_apply(coalesce((
        SELECT jsonb_object_agg(kind, n) FROM (
            SELECT kind, count(*) AS n FROM new_flags WHERE resolved_at IS NULL GROUP BY kind) c), '{}'));
    RETURN NULL;
END $$;

CREATE FUNCTION shipwatch_flag_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM shipwatch_flag_counts_apply(coalesce((
        SELECT jsonb_object_agg(kind, n) FROM (
            SELECT kind, sum(d) AS n FROM (
                SELECT kind, 1 AS d FROM new_flags WHERE resolved_at IS NULL
                UNION ALL
                SELECT kind, -1 FROM old_flags WHERE resolved_at IS NULL) x
            GROUP BY kind) c), '{}'));
    RETURN NULL;
END $$;

CREATE FUNCTION shipwatch_flag_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM shipwatch_flag_counts_apply(coalesce((
        SELECT jsonb_object_agg(kind, -n) FROM (
            SELECT kind, count(*) AS n FROM old_flags WHERE resolved_at IS NULL GROUP BY kind) c), '{}'));
    RETURN NULL;
END $$;

CREATE TRIGGER flags_count_insert AFTER INSERT ON flags
    REFERENCING NEW TABLE AS new_flags FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_flag_counts_insert();
CREATE TRIGGER flags_count_update AFTER UPDATE ON flags
    REFERENCING OLD TABLE AS old_flags NEW TABLE AS new_flags FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_flag_counts_update();
CREATE TRIGGER flags_count_delete AFTER DELETE ON flags
    REFERENCING OLD TABLE AS old_flags FOR EACH STATEMENT EXECUTE FUNCTION shipwatch_flag_counts_delete();

-- The flags already open. Locking the table keeps a flag written during
-- the backfill from being counted twice or not at all.
LOCK TABLE flags IN SHARE MODE;
INSERT INTO flag_counts (kind, slot, open)
SELECT kind, 0, count(*) FROM flags WHERE resolved_at IS NULL GROUP BY kind;
