-- Write-caused checks are queued per seller, not in one shared FIFO of jobs,
-- so one seller's import or burst of events never waits in front of
-- another seller's next write (issue: one seller's load starved every other
-- seller's flags for minutes).
--
-- A writer appends the shipments to check to pending_checks (insert only:
-- writers never wait on one another or on a check here) in one of a few
-- lanes by shipment id, and makes sure the lane has a turn. A lane's turn
-- is one River job at a time: it checks at most one round of the lane's
-- pending shipments and, when some remain, queues the next turn behind
-- every other seller's. docs/locking.md has the lock order.
CREATE TABLE pending_checks (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    seller_id uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    lane smallint NOT NULL,
    shipment_id uuid NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (seller_id, lane, seq)
);
COMMENT ON TABLE pending_checks IS 'Shipments waiting for a write-caused check, by seller and lane, oldest first (migration 0050).';
COMMENT ON INDEX pending_checks_pkey IS 'A turn reads its lane oldest first and deletes what it checked by seq.';

CREATE TABLE check_turns (
    seller_id uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    lane smallint NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (seller_id, lane)
);
COMMENT ON TABLE check_turns IS 'A lane with a check job queued or running; writers that find the row queue nothing (migration 0050).';
