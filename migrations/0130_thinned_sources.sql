-- 0130: a webhook source that still sends a trickle is detected too
-- (docs/carriers.md, Thinned webhook sources). The silence check (0100)
-- catches a source that sends nothing; one that sends a fraction of its
-- usual flow (one carrier's events, a provider's queue draining slowly)
-- looks alive to it, since any delivery recovers a silent source. The
-- flow check marks such a source degraded like the others, but it must
-- not be recovered by the next delivery, only by the flow coming back:
-- this column says which check holds the source.

ALTER TABLE source_health
    ADD COLUMN degraded_thinned boolean NOT NULL DEFAULT false,
    -- Only a degraded source can be held by the flow check.
    ADD CONSTRAINT source_health_thinned_is_degraded CHECK (NOT degraded_thinned OR degraded_since IS NOT NULL);
