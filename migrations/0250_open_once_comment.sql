-- 0250: what flags_open_once serves, after the sweep's raise stopped naming
-- it as an ON CONFLICT arbiter (store.ApplyRule raises under its shipments'
-- row locks, which every writer of a shipment's flags holds, as a plain
-- INSERT). Every index on flags says which query needs it (TestIndexesSayWhy).
COMMENT ON INDEX flags_open_once IS
    'At most one open flag of a kind per shipment: the invariant (a raise that would break it fails), and the ON CONFLICT arbiter of store.ApplyRules.';
