-- A cutoff revokes every access token issued to a client, a user, or a
-- user at a client ('' where unset) before not_before: client credentials
-- tokens are stored nowhere, so no list of jtis can reach them. Rows are
-- only appended, each with its own seq, the cursor guards follow; writers
-- take the revocation writers' lock, so seq order is commit order (see
-- lockRevocationWriters). A token's cutoff is the latest not_before of the
-- rows that name it. A row is kept until expires_at, when every token it
-- could revoke has expired, whether or not its client or user still exists.
CREATE TABLE cutoffs (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id  text NOT NULL,
    subject    text NOT NULL,
    not_before timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX cutoffs_client_subject ON cutoffs (client_id, subject);
CREATE INDEX cutoffs_expires_at ON cutoffs (expires_at);

-- The sign-on session a grant was issued in (its sid), and whether it was
-- authorized for offline access: ending the session revokes the others.
ALTER TABLE grants ADD COLUMN session_id text NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN offline boolean NOT NULL DEFAULT false;
CREATE INDEX grants_session_id ON grants (session_id);
