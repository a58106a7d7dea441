-- shipwatch:no-transaction
-- 0110: the published standards' counts (Store.StandardCounts) read only
-- the shipments some window can hold. Every keying's date of a shipment is
-- at most the greatest of them, so a shipment whose greatest keying date
-- is before the earliest window start counts nowhere; this index finds
-- the others without reading the seller's older history. The expression
-- is standardKeysBound() of internal/store/standards.go, with the
-- columns unqualified; TestStandardKeysBoundIndexed fails when the
-- keyings change and this index no longer matches (a new migration then
-- replaces it). Concurrently, so writers keep writing.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_standard_key_idx ON shipments (seller_id,
    (greatest(delivered_at, created_at, coalesce(deliver_by, shipped_at, created_at), coalesce(shipped_at, created_at), ship_by)));
COMMENT ON INDEX shipments_standard_key_idx IS
    'Shipments by the greatest of their keying dates: Store.StandardCounts (accountHealth standards, the forecast and its save queue).';
