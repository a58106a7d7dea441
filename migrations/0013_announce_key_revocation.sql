-- 0013: announce API key revocations on the pubsub channel so that every
-- replica closes the revoked key's websocket subscriptions at once
-- (internal/pubsub, TopicKeyRevoked; the payload is a pubsub.Message
-- naming the key by its public prefix). A trigger, so that every way of
-- revoking announces it: the CLI, another replica, SQL by hand, and
-- deleting the key or its seller.
CREATE FUNCTION announce_api_key_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shipwatch_events',
        json_build_object('t', 'apikey.revoked', 's', OLD.seller_id, 'ids', json_build_array(OLD.prefix))::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_announce_revoked
    AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION announce_api_key_revoked();

CREATE TRIGGER api_keys_announce_deleted
    AFTER DELETE ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
    EXECUTE FUNCTION announce_api_key_revoked();
