-- Authentication factors a user enrolled (passkeys, TOTP generators). A
-- passkey's WebAuthn credential ID is unique across every user, since a
-- username-less sign-in finds the factor, and so the user, by it; other
-- kinds have none (NULL, which the partial index leaves out). data is the
-- kind's state, opaque here (a TOTP secret arrives sealed). Times are
-- microseconds since the epoch; a factor never used has last_used_at NULL.
CREATE TABLE factors (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    credential_id BLOB,
    data          BLOB NOT NULL,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE UNIQUE INDEX factors_credential_id ON factors (credential_id) WHERE credential_id IS NOT NULL;
CREATE INDEX factors_user_id ON factors (user_id, created_at);

-- Recovery codes, kept as digests (the codes are shown once and never
-- stored). A code is spent by one conditional UPDATE ... WHERE used_at IS
-- NULL, so of concurrent uses one succeeds.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, hash)
);
