-- 0160: new shipments get time-ordered ids (the layout of a version 7
-- UUID: 48 bits of Unix milliseconds, then random bits) instead of random
-- ones. Four indexes are keyed on a shipment's id: shipments_pkey,
-- shipments_seller_id_key (seller_id, id), and the flags' flags_open_once
-- and flags_shipment_idx (shipment_id first). With random ids every row an
-- import writes, and every flag its checks raise, lands on a random leaf
-- page of each: once a seller's indexes outgrow shared_buffers, most of an
-- import batch's time went into reading and evicting index pages
-- (docs/imports.md, "Speed and memory"). Time-ordered ids land on the
-- last pages, which stay in memory. Ids stay opaque and unguessable (74
-- random bits); the time they carry is the shipment's created_at, which
-- the API shows anyway. Existing rows keep their ids; lock order
-- (ascending id, docs/locking.md) does not depend on how ids are made.
CREATE FUNCTION shipwatch_time_ordered_uuid() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;
COMMENT ON FUNCTION shipwatch_time_ordered_uuid() IS
    'A random UUID whose first 48 bits are the Unix time in milliseconds and whose version is 7: ids that sort by creation, so the indexes keyed on them grow at their end.';
ALTER TABLE shipments ALTER COLUMN id SET DEFAULT shipwatch_time_ordered_uuid();
