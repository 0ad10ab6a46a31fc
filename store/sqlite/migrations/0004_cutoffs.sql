-- A cutoff revokes every access token issued to a client, a user, or a
-- user at a client ('' where unset) before not_before: client credentials
-- tokens are stored nowhere, so no list of jtis can reach them. Rows are
-- only appended, each with its own seq, the cursor guards follow; a token's
-- cutoff is the latest not_before of the rows that name it. A row is kept
-- until expires_at, when every token it could revoke has expired, whether
-- or not its client or user still exists.
CREATE TABLE cutoffs (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX cutoffs_client_subject ON cutoffs (client_id, subject);
CREATE INDEX cutoffs_expires_at ON cutoffs (expires_at);

-- The sign-on session a grant was issued in (its sid), and whether it was
-- authorized for offline access: ending the session revokes the others.
ALTER TABLE grants ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
CREATE INDEX grants_session_id ON grants (session_id);
CREATE INDEX sessions_user_id ON sessions (user_id);
