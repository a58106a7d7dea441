-- Inputs the marketplaces' published metrics need and Shipwatch did not
-- record (docs/health.md, "The metrics as the marketplaces publish them"):
--
-- cancelled_by: who cancelled. Amazon's pre-fulfilment cancel rate and
-- Walmart's cancellation rate count the seller's cancellations and not the
-- buyer's; NULL for a shipment cancelled before this column existed or by
-- a carrier event (a voided label is not an order cancellation).
-- returned_at: when the buyer returned the order (Walmart's return rate).
-- A carrier's RETURNED_TO_SENDER is not a buyer's return.
-- tracking_received_at: when the shipment's current number reached
-- Shipwatch, set by updateShipment when the number changes; NULL means
-- created_at (the number is part of a shipment's identity, so an upsert
-- never changes it). eBay counts tracking uploaded within handling time.
ALTER TABLE shipments
    ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('SELLER', 'BUYER')),
    ADD COLUMN returned_at timestamptz,
    ADD COLUMN tracking_received_at timestamptz;
