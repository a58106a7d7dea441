-- 0190: new flags get time-ordered ids, as new shipments do since 0160.
-- flags_pkey is the one index on flags still keyed on a random value: an
-- import's checks and a first sweep raise flags by the tens of thousands,
-- and each landed on a random leaf page of it. Time-ordered ids land on
-- its last pages. Flags are paged by (raised_at, id) and locked by
-- shipment, never by flag id, so nothing depends on how ids are made;
-- existing flags keep theirs.
ALTER TABLE flags ALTER COLUMN id SET DEFAULT shipwatch_time_ordered_uuid();
