-- 0009: evidence immutability that the server cannot switch off.
--
-- Until now the triggers let anyone past who ran
-- SET LOCAL shipwatch.retention = 'on', which any session may do, and the
-- server connected as the superuser that owned the tables. Now the server
-- serves through a role of its own that may not update or delete evidence
-- (the grants are made by the store's role setup, since role names are the
-- operator's), and only one function may delete it: the retention purge,
-- SECURITY DEFINER and owned by a role nobody logs in as. The triggers let
-- a change through only when it runs as the role that owns that function,
-- which nothing but the function itself does (a cascade from sellers runs
-- as the tables' owner, not as it). docs/security.md says what this covers.

-- The purge: one batch of chains past the cutoff whose shipments are quiet
-- and none of whose disputes is open or recently changed (the rule of
-- docs/evidence.md, moved here from the store so that the caller chooses
-- only the cutoff, and never one less than a day ago).
CREATE FUNCTION shipwatch_purge_evidence(cutoff timestamptz, batch integer)
    RETURNS TABLE (chains bigint, events bigint, proofs bigint, images bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF cutoff IS NULL OR cutoff > now() - interval '24 hours' THEN
        RAISE EXCEPTION 'evidence retention cutoff % is less than 24 hours ago', cutoff
            USING ERRCODE = 'SW002';
    END IF;
    IF batch IS NULL OR batch < 1 OR batch > 10000 THEN
        RAISE EXCEPTION 'evidence purge batch % is not between 1 and 10000', batch USING ERRCODE = 'SW002';
    END IF;
    SELECT coalesce(array_agg(d.id), '{}') INTO ids FROM (
        SELECT c.id FROM public.evidence_chains c
        WHERE c.updated_at < cutoff
            AND NOT EXISTS (
                SELECT 1 FROM public.shipments sh
                WHERE sh.seller_id = c.seller_id
                    AND (sh.id = c.shipment_id
                        OR (c.shipment_id IS NULL AND sh.normalized_tracking_number = c.normalized_tracking_number))
                    AND (greatest(sh.updated_at, sh.last_event_at) >= cutoff
                        OR EXISTS (SELECT 1 FROM public.disputes dp
                            WHERE dp.seller_id = sh.seller_id AND dp.shipment_id = sh.id
                                AND (dp.status = 'OPEN' OR dp.updated_at >= cutoff))))
        ORDER BY c.id LIMIT batch
        FOR UPDATE SKIP LOCKED) d;
    DELETE FROM public.proof_images i USING public.proof_of_delivery p
        WHERE i.proof_id = p.id AND p.chain_id = ANY (ids);
    GET DIAGNOSTICS images = ROW_COUNT;
    DELETE FROM public.proof_of_delivery WHERE chain_id = ANY (ids);
    GET DIAGNOSTICS proofs = ROW_COUNT;
    DELETE FROM public.tracking_events WHERE chain_id = ANY (ids);
    GET DIAGNOSTICS events = ROW_COUNT;
    DELETE FROM public.evidence_chains WHERE id = ANY (ids);
    GET DIAGNOSTICS chains = ROW_COUNT;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION shipwatch_purge_evidence(timestamptz, integer) FROM PUBLIC;

-- True only inside the purge: the current role is the purge's owner.
CREATE FUNCTION shipwatch_evidence_purging() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.proowner = r.oid
    FROM pg_proc p, pg_roles r
    WHERE p.oid = 'public.shipwatch_purge_evidence(timestamptz, integer)'::regprocedure
        AND r.rolname = current_user
$$;

CREATE OR REPLACE FUNCTION shipwatch_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND coalesce(public.shipwatch_evidence_purging(), false) THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% of % refused: evidence is immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'SW001', HINT = 'only the evidence retention purge may delete evidence';
END
$$;

CREATE OR REPLACE FUNCTION shipwatch_evidence_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND coalesce(public.shipwatch_evidence_purging(), false) THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.records > OLD.records
        AND (NEW.id, NEW.seller_id, NEW.normalized_tracking_number, NEW.shipment_id, NEW.created_at)
            IS NOT DISTINCT FROM (OLD.id, OLD.seller_id, OLD.normalized_tracking_number, OLD.shipment_id, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of % refused: an evidence chain only grows', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'SW001', HINT = 'only the evidence retention purge may delete evidence';
END
$$;
