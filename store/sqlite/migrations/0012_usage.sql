-- Usage records: how often each client used each API (audience) and
-- gateway route, per hour (Unix seconds of its start), by metric and
-- detail (package usage names them). Instances add to the same row
-- (INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count).
CREATE TABLE usage_counts (
    hour      INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    api       TEXT NOT NULL,
    route     TEXT NOT NULL,
    metric    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (hour, client_id, api, route, metric, detail)
);
CREATE INDEX usage_counts_client ON usage_counts (client_id, hour);
CREATE INDEX usage_counts_api ON usage_counts (api, hour);
-- The batches added, for a day (expires_at, Unix seconds), so that a batch
-- retried after a lost answer adds nothing.
CREATE TABLE usage_batches (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
