-- APIs (resource servers) created at run time, kept whole as their JSON
-- like clients; those of the configuration file are never stored.
CREATE TABLE apis (
    identifier TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Grants are listed newest first, for a user, a client or everyone, a
-- page at a time with (created_at, id) as the cursor: these indexes give
-- each listing its order and let a page start at the cursor. The new
-- indexes on user_id and client_id lead with the columns the old ones
-- held, so they serve the old lookups too.
DROP INDEX grants_user_id;
DROP INDEX grants_client_id;
CREATE INDEX grants_user_id_created ON grants (user_id, created_at, id);
CREATE INDEX grants_client_id_created ON grants (client_id, created_at, id);
CREATE INDEX grants_created ON grants (created_at, id);

-- Users are searched a page at a time in username order from a cursor,
-- which the unique index on username serves; the text is matched with a
-- LIKE '%...%' on the username and the email claim, which no B-tree index
-- can serve, so the match is a scan of that ordered index that stops once
-- the page is full.
