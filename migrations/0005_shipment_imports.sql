-- 0005: shipment file imports. A seller uploads a file of up to a million
-- shipments; it is stored here as it streams in (chunks of bytea, so the
-- server never holds it whole), then a job loads it in batches. Each batch
-- commits its shipments, its rejected rows and the import's checkpoint and
-- counters together, so a load killed at any point resumes exactly where the
-- last commit left it: no row twice, no row lost.

CREATE TABLE shipment_imports (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id              uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    filename               text NOT NULL DEFAULT '' CHECK (length(filename) <= 255),
    -- The format the file is read as, recognised from its header when the
    -- seller asked for AUTO.
    format                 text NOT NULL CHECK (format IN ('SHIPWATCH_CSV', 'AMAZON_FLAT_FILE')),
    status                 text NOT NULL DEFAULT 'QUEUED'
                           CHECK (status IN ('QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED')),
    -- What the load needs to read the file exactly as the upload checked it,
    -- even after the seller changes zone or the server its limits.
    time_zone              text NOT NULL,
    max_row_bytes          int NOT NULL CHECK (max_row_bytes > 0),
    header                 text NOT NULL,
    file_bytes             bigint NOT NULL CHECK (file_bytes >= 0),
    chunk_bytes            int NOT NULL CHECK (chunk_bytes > 0),
    -- Rows are the file's lines after the header (an Amazon shipment of
    -- three item lines is three rows); created, updated and rejected count
    -- shipments and rejected rows.
    rows_total             int,
    rows_processed         int NOT NULL DEFAULT 0,
    created                int NOT NULL DEFAULT 0,
    updated                int NOT NULL DEFAULT 0,
    rejected               int NOT NULL DEFAULT 0,
    invalid_tracking       int NOT NULL DEFAULT 0,
    warnings               text[] NOT NULL DEFAULT '{}',
    failure                text NOT NULL DEFAULT '',
    -- The checkpoint: the byte offset and line of the first row not yet
    -- committed. NULL until the first batch commits.
    checkpoint_offset      bigint,
    checkpoint_line        int,
    -- Liveness: bumped by the loader at each batch; resumes counts the loads
    -- restarted after their worker died.
    heartbeat_at           timestamptz,
    resumes                int NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    started_at             timestamptz,
    finished_at            timestamptz,
    -- Lets child rows carry the seller in a foreign key (tenancy in the schema).
    CONSTRAINT shipment_imports_seller_id UNIQUE (seller_id, id)
);
-- Lists are newest first with a (created_at, id) keyset cursor.
CREATE INDEX shipment_imports_seller_created_idx ON shipment_imports (seller_id, created_at DESC, id DESC);
-- The resume sweep looks only at unfinished imports.
CREATE INDEX shipment_imports_unfinished_idx ON shipment_imports (heartbeat_at)
    WHERE status IN ('QUEUED', 'PROCESSING');

-- The uploaded file, in chunks of chunk_bytes (the last one shorter). It is
-- deleted when the load completes: rejected rows keep their own text below.
CREATE TABLE shipment_import_chunks (
    import_id  uuid NOT NULL REFERENCES shipment_imports (id) ON DELETE CASCADE,
    seq        int NOT NULL CHECK (seq >= 0),
    data       bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
);
-- lz4 compresses delimited text about threefold at a fraction of pglz's
-- cost, which matters when a gigabyte streams in. A server built without
-- lz4 keeps its default.
DO $$
BEGIN
    ALTER TABLE shipment_import_chunks ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END $$;

-- Rejected rows: where, why, and the row's raw bytes (bytea: a row rejected
-- for not being UTF-8 must come back byte for byte in the errors file).
CREATE TABLE shipment_import_errors (
    import_id   uuid NOT NULL,
    seller_id   uuid NOT NULL,
    line        int NOT NULL CHECK (line > 1),
    column_name text NOT NULL DEFAULT '',
    message     text NOT NULL,
    record      bytea NOT NULL,
    PRIMARY KEY (import_id, line),
    FOREIGN KEY (seller_id, import_id) REFERENCES shipment_imports (seller_id, id) ON DELETE CASCADE
);
