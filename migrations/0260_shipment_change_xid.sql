-- 0260: the forecast's reads follow the seller's writes instead of being
-- redone after each (docs/forecast.md, "What a request read is kept").
-- A request keeps the open shipments and the counts' pass it read, with
-- the snapshot it read them in; the next request reads only the
-- shipments written since: those whose change_xid (the transaction that
-- last inserted or updated the row) that snapshot does not see.
--
-- New rows take the inserting transaction's id from the default, updated
-- rows from the trigger (an upsert's update too). Rows written before this
-- migration keep NULL: they are older than any kept snapshot. Adding the
-- column without a default and setting it afterwards rewrites nothing.
ALTER TABLE shipments ADD COLUMN change_xid xid8;
ALTER TABLE shipments ALTER COLUMN change_xid SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN shipments.change_xid IS
    'The transaction that last inserted or updated the row: the forecast''s kept reads find the rows written since their snapshot (migration 0260).';

CREATE FUNCTION shipments_note_change_xid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
CREATE TRIGGER shipments_change_xid BEFORE UPDATE ON shipments
    FOR EACH ROW EXECUTE FUNCTION shipments_note_change_xid();

-- What change_xid cannot show: a shipment deleted, a dispute written (the
-- not-received count reads disputes), the seller's settings changed. The
-- notes of migration 0140 now also keep, per seller and backend, the
-- transaction of the last such write (other_xid): a kept read whose
-- notes' other_xid values differ from the current ones reads afresh.
ALTER TABLE seller_changes ADD COLUMN other_xid xid8;

CREATE OR REPLACE FUNCTION seller_changes_note() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO seller_changes (seller_id, backend, at, other_xid)
        SELECT DISTINCT o.seller_id, pg_backend_pid(), statement_timestamp(), pg_current_xact_id() FROM old_rows o
        WHERE EXISTS (SELECT 1 FROM sellers s WHERE s.id = o.seller_id)
        ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at), other_xid = EXCLUDED.other_xid;
    ELSIF TG_TABLE_NAME = 'shipments' THEN
        INSERT INTO seller_changes (seller_id, backend, at)
        SELECT DISTINCT n.seller_id, pg_backend_pid(), statement_timestamp() FROM new_rows n
        ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at);
    ELSE
        INSERT INTO seller_changes (seller_id, backend, at, other_xid)
        SELECT DISTINCT n.seller_id, pg_backend_pid(), statement_timestamp(), pg_current_xact_id() FROM new_rows n
        ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at), other_xid = EXCLUDED.other_xid;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION seller_changes_note_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seller_changes (seller_id, backend, at, other_xid)
    SELECT DISTINCT n.id, pg_backend_pid(), statement_timestamp(), pg_current_xact_id() FROM new_rows n
    ON CONFLICT (seller_id, backend) DO UPDATE SET at = greatest(seller_changes.at, EXCLUDED.at), other_xid = EXCLUDED.other_xid;
    RETURN NULL;
END
$$;
