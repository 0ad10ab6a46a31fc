-- A suspended client is refused authentication until until_at (unix
-- seconds). One row per client: a new suspension replaces the last. Rows
-- past until_at decide nothing and are deleted by the periodic sweep.
CREATE TABLE client_suspensions (
    client_id  TEXT PRIMARY KEY,
    until_at   INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX client_suspensions_until_at ON client_suspensions (until_at);
