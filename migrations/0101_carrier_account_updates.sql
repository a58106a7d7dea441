-- 0101: a carrier account can be changed in place (updateCarrierAccount,
-- docs/carriers.md): a seller's operations lead rotates a key, moves an
-- account from the sandbox to production or changes its budget without
-- removing it, so its events, poll schedule, usage and health stay.
--
-- Every process caches a carrier client (and its OAuth token) per account;
-- revision tells a replica that the account changed under its cache, so it
-- builds a client with the new credentials instead of polling with the old.
ALTER TABLE carrier_accounts
    ADD COLUMN revision   integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    ADD COLUMN updated_at timestamptz;
