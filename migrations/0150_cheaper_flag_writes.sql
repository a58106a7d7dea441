-- 0150: what each flag row costs to write (docs/monitoring.md, Figures). The
-- first sweep after a large load raises about 90,000 flags at once, and an
-- import's checks raise one per bad row; every flag pays for each index and
-- foreign key of this table.
--
-- One index for the flags a rule holds. The sweep compares each rule's
-- candidates with the seller's flags of its kind that are open or suppress
-- it (store.LockFlagChanges); it read them through two partial indexes,
-- flags_open_kind_idx and flags_suppressing_idx, combined in a bitmap, and no
-- other query needs either. One index whose predicate is that condition
-- serves it (with the shipment in the index, without reading the rows), and
-- a flag is written into one index fewer.
DROP INDEX flags_open_kind_idx;
DROP INDEX flags_suppressing_idx;
CREATE INDEX flags_held_idx ON flags (seller_id, kind, shipment_id) WHERE resolved_at IS NULL OR suppressing;
COMMENT ON INDEX flags_held_idx IS
    'The seller''s open or suppressing flags of a kind: the sweep''s store.LockFlagChanges (migration 0150).';

-- The seller of an account flag. Migration 0070 made every flag reference its
-- seller (flags_seller_fk) because an account flag has no shipment to reach
-- it through; but a shipment flag's seller is already checked by
-- flags_shipment_fk (its shipment is the seller's, and a shipment's seller
-- exists), and checking it again cost each raised flag a lookup and a lock
-- of its seller's row. account_seller_id is the seller for an account flag
-- and NULL for a shipment flag: the foreign key skips a NULL without a
-- lookup, and deleting the seller still deletes its account flags
-- (ON DELETE CASCADE; its shipment flags go with its shipments).
ALTER TABLE flags ADD COLUMN account_seller_id uuid;
UPDATE flags SET account_seller_id = seller_id WHERE shipment_id IS NULL;
-- NOT VALID: the UPDATE above made every row satisfy both, under this
-- migration's lock of the table, so nothing needs scanning again.
ALTER TABLE flags ADD CONSTRAINT flags_account_seller_set
    CHECK (account_seller_id IS NOT DISTINCT FROM (CASE WHEN shipment_id IS NULL THEN seller_id END)) NOT VALID;
ALTER TABLE flags ADD CONSTRAINT flags_account_seller_fk FOREIGN KEY (account_seller_id)
    REFERENCES sellers (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE flags DROP CONSTRAINT flags_seller_fk;

-- Every index on flags says which query needs it, as those on shipments do
-- (migration 0008; TestIndexesSayWhy).
COMMENT ON INDEX flags_pkey IS
    'A flag by id: the API''s flag, acknowledgeFlag and resolveFlag, live updates (FlagsByID), and the rules'' resolving UPDATE.';
COMMENT ON INDEX flags_open_once IS
    'At most one open flag of a kind per shipment: the invariant, and the ON CONFLICT arbiter of store.ApplyRule and store.ApplyRules.';
COMMENT ON INDEX flags_seller_raised_idx IS
    'The seller''s flags newest first with a (raised_at, id) cursor: the flags query and its totalCount (store.Flags, store.CountFlags).';
COMMENT ON INDEX flags_shipment_idx IS
    'A shipment''s flags: Shipment.flags newest first (store.ShipmentFlags) and the flags a check reads and locks by shipment (store.ApplyRule, store.ApplyRules).';
