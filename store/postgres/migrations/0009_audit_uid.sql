-- Events carry a unique id so that a batch retried after a lost answer is
-- stored once (INSERT ... ON CONFLICT (uid) DO NOTHING). Events without
-- one (NULL: the CLI's, and those stored before this migration) never
-- conflict.
ALTER TABLE audit_events ADD COLUMN uid text;
CREATE UNIQUE INDEX audit_events_uid ON audit_events (uid);
