-- shipwatch:no-transaction
-- 0008: index discipline. Every index on shipments costs every write of a
-- shipment (18 entries per row version before this migration), so each one
-- says below which query needs it, and TestShipmentIndexesSayWhy fails when
-- one does not. Runs outside a transaction: the index builds and drops are
-- CONCURRENTLY, so writers keep writing while a populated table is indexed.
-- Each statement can be run again if a later one fails.

-- Migrations 0004 (constraint shipments_seller_id_key) and 0006 (index
-- shipments_seller_id_id_key) both made the unique (seller_id, id) the
-- tenant foreign keys point at. The foreign keys use the constraint's.
DROP INDEX CONCURRENTLY IF EXISTS shipments_seller_id_id_key;

-- A proof made from a carrier event names it: deleting an event (the
-- retention job) checks no proof points at it, which without an index
-- reads every proof.
DROP INDEX CONCURRENTLY IF EXISTS proof_of_delivery_event_idx;
CREATE INDEX CONCURRENTLY proof_of_delivery_event_idx ON proof_of_delivery (event_id) WHERE event_id IS NOT NULL;

COMMENT ON INDEX shipments_pkey IS
    'Shipment by id: Store.Shipment, ShipmentsByID, ShipmentForUpdate, the rules'' ruleScope (sh.id = ANY), the health backfill.';
COMMENT ON INDEX shipments_identity IS
    'One shipment per (seller, order, number): the ON CONFLICT target of Store.UpsertShipments and UpsertImportedShipments.';
COMMENT ON INDEX shipments_seller_created_idx IS
    'Store.Shipments: the shipments connection, newest first, keyset on (created_at, id).';
COMMENT ON INDEX shipments_seller_tracking_idx IS
    'Shipments of a number: Store.ShipmentsByTrackingNumber, RefreshShipments after events, the DUPLICATE_TRACKING rule, the evidence retention job.';
COMMENT ON INDEX shipments_seller_status_idx IS
    'Store.CountShipments and Shipments filtered by status (the totalCount of shipments(filter: {statuses})).';
COMMENT ON INDEX shipments_seller_id_key IS
    'Tenant foreign keys of flags, evidence_chains, proof_of_delivery and disputes point at (seller_id, id).';
COMMENT ON INDEX shipments_unscanned_idx IS
    'Rule INACTIVE_TRACKING: shipped, never scanned, by shipped_at.';
COMMENT ON INDEX shipments_moving_idx IS
    'Rule STALLED: scanned, not delivered, by last_event_at.';
COMMENT ON INDEX shipments_unshipped_idx IS
    'Rule LATE_SHIPMENT, not shipped by ship_by.';
COMMENT ON INDEX shipments_shipped_late_idx IS
    'Rule LATE_SHIPMENT, shipped after ship_by.';
COMMENT ON INDEX shipments_undelivered_idx IS
    'Rule LATE_DELIVERY, not delivered by deliver_by.';
COMMENT ON INDEX shipments_estimate_late_idx IS
    'Rule DELIVERY_AT_RISK: the carrier''s estimate is after deliver_by.';
COMMENT ON INDEX shipments_delivered_late_idx IS
    'Rule LATE_DELIVERY, delivered after deliver_by.';
COMMENT ON INDEX shipments_health_unscanned_idx IS
    'Store.FailingShipments(Unscanned): the valid-tracking drill-down of account health.';
COMMENT ON INDEX shipments_health_invalid_idx IS
    'Store.FailingShipments(InvalidTracking): the invalid-tracking drill-down of account health.';
COMMENT ON INDEX shipments_health_late_ship_idx IS
    'Store.FailingShipments(ShippedLate): the late-shipment drill-down of account health.';
COMMENT ON INDEX shipments_health_late_delivery_idx IS
    'Store.FailingShipments(DeliveredLate): the on-time-delivery drill-down of account health.';
