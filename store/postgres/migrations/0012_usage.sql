-- Usage records: how often each client used each API (audience) and
-- gateway route, per hour (its start), by metric and detail (package usage
-- names them). Instances add to the same row (INSERT ... ON CONFLICT DO
-- UPDATE SET count = usage_counts.count + excluded.count).
CREATE TABLE usage_counts (
    hour      timestamptz NOT NULL,
    client_id text NOT NULL,
    api       text NOT NULL,
    route     text NOT NULL,
    metric    text NOT NULL,
    detail    text NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY (hour, client_id, api, route, metric, detail)
);
CREATE INDEX usage_counts_client ON usage_counts (client_id, hour);
CREATE INDEX usage_counts_api ON usage_counts (api, hour);
-- The batches added, for a day, so that a batch retried after a lost
-- answer adds nothing.
CREATE TABLE usage_batches (
    id         text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
