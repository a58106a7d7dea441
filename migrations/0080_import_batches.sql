-- An import's batches commit in any order, each as soon as it is written:
-- none waits, holding its locks, for the batch before it to commit (a wait
-- PostgreSQL could not see, which a hand-built scheduler polling
-- pg_blocking_pids had to break; docs/imports.md). The checkpoint
-- (shipment_imports.checkpoint_offset) stays the end of the committed
-- prefix of the file; a batch committed beyond it is recorded here, in the
-- batch's own transaction, until the batches before it have committed and
-- the checkpoint moves past it. A resumed load skips the ranges recorded
-- here, so no row is written or counted twice.
CREATE TABLE shipment_import_batches (
    import_id    uuid NOT NULL,
    seller_id    uuid NOT NULL,
    start_offset bigint NOT NULL,
    end_offset   bigint NOT NULL CHECK (end_offset > start_offset),
    end_line     int NOT NULL,
    PRIMARY KEY (import_id, start_offset),
    FOREIGN KEY (seller_id, import_id) REFERENCES shipment_imports (seller_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE shipment_import_batches IS 'Batches of an import committed beyond its checkpoint (migration 0080).';
COMMENT ON INDEX shipment_import_batches_pkey IS 'A batch commit follows the chain of batches from the checkpoint by start offset; a resumed load reads the import''s batches.';
