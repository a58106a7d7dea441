-- 0040: sign-in sessions of the dashboard (/app). A seller signs in with an
-- API key; the browser then holds a random session token in an HttpOnly
-- cookie, and only the token's SHA-256 is stored here, as API keys' are. A
-- session belongs to the key it was opened with: the lookup requires that
-- key unrevoked, so revoking the key ends its sessions at once, and
-- deleting the key (or the seller) deletes them.
CREATE TABLE dashboard_sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    seller_id  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX dashboard_sessions_key_idx ON dashboard_sessions (api_key_id);
COMMENT ON INDEX dashboard_sessions_key_idx IS
    'The ON DELETE CASCADE from api_keys: a deleted key''s sessions without a scan.';
CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);
COMMENT ON INDEX dashboard_sessions_expiry_idx IS
    'Store.DeleteExpiredSessions: expired sessions by time.';
