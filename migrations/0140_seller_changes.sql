-- 0140: when each seller's data last changed, so the outlook job skips the
-- sellers with nothing new since their last projection (docs/forecast.md,
-- "Skipping unchanged sellers").
--
-- A projection reads the seller's shipments (and the lane histograms their
-- deliveries update in the same transaction), disputes and settings; a
-- statement writing any of them notes, per seller, its statement time.
-- One row per seller and backend (pg_backend_pid): the transactions of one
-- backend follow each other, so two transactions never write the same row
-- and writers of one seller never wait on each other here, whatever they
-- lock elsewhere (docs/locking.md). The job asks whether any row of the
-- seller is later than its last projection; it prunes rows older than two
-- days (a projection is never that old: a new day re-projects).
CREATE TABLE seller_changes (
    seller_id uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    backend   integer NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (seller_id, backend)
);
COMMENT ON TABLE seller_changes IS
    'The last write of each seller per backend, for the outlook job''s skip of unchanged sellers (migration 0140).';

-- Notes the sellers of a statement's transition table. A seller being
-- deleted is skipped (the EXISTS): its rows go with it.
CREATE FUNCTION seller_changes_note() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO seller_changes (seller_id, backend, at)
        SELECT DISTINCT o.seller_id, pg_backend_pid(), statement_timestamp() FROM old_rows o
        WHERE EXISTS (SELECT 1 FROM sellers s WHERE s.id = o.seller_id)
        ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at);
    ELSE
        INSERT INTO seller_changes (seller_id, backend, at)
        SELECT DISTINCT n.seller_id, pg_backend_pid(), statement_timestamp() FROM new_rows n
        ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at);
    END IF;
    RETURN NULL;
END
$$;

-- Settings live on the seller's own row.
CREATE FUNCTION seller_changes_note_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seller_changes (seller_id, backend, at)
    SELECT DISTINCT n.id, pg_backend_pid(), statement_timestamp() FROM new_rows n
    ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at);
    RETURN NULL;
END
$$;

-- PostgreSQL allows transition tables on single-event triggers only.
CREATE TRIGGER shipments_changes_insert AFTER INSERT ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER shipments_changes_update AFTER UPDATE ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER shipments_changes_delete AFTER DELETE ON shipments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER disputes_changes_insert AFTER INSERT ON disputes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER disputes_changes_update AFTER UPDATE ON disputes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER disputes_changes_delete AFTER DELETE ON disputes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note();
CREATE TRIGGER sellers_changes_update AFTER UPDATE ON sellers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seller_changes_note_settings();

-- When the job last projected the seller (the start of its forecast), as
-- against ran_at, which a skip also sets.
ALTER TABLE health_outlook_runs ADD COLUMN projected_at timestamptz;
