-- shipwatch:no-transaction
-- 0261: the shipments a seller wrote since a kept read's snapshot
-- (Store.ShipmentsChanged: seller_id and change_xid from the snapshot's
-- xmin on), read by key whatever the statistics. Concurrently, so
-- writers keep writing.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_change_xid_idx ON shipments (seller_id, change_xid);
COMMENT ON INDEX shipments_change_xid_idx IS
    'Shipments by the transaction that last wrote them: Store.ShipmentsChanged (the forecast''s kept reads, migration 0260).';
