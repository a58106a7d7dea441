-- shipwatch:no-transaction
-- 0018: the index of a seller's shipments by number also orders them by
-- order id. The DUPLICATE_TRACKING rule names the first five other orders
-- of a number; without order_id in the index it read and sorted every
-- shipment of the number for each of them, quadratic in the number's
-- shipments, which a file repeating one number over thousands of lines
-- turned into minutes. Concurrently, so writers keep writing; each
-- statement can be run again if a later one fails.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_seller_tracking_order_idx
    ON shipments (seller_id, normalized_tracking_number, order_id);
DROP INDEX CONCURRENTLY IF EXISTS shipments_seller_tracking_idx;
ALTER INDEX IF EXISTS shipments_seller_tracking_order_idx RENAME TO shipments_seller_tracking_idx;
COMMENT ON INDEX shipments_seller_tracking_idx IS
    'Shipments of a number, by order: Store.ShipmentsByTrackingNumber, WrittenShipments, LockChecked and RefreshShipments (byNumber), the DUPLICATE_TRACKING rule (first five other orders), the evidence retention job.';
