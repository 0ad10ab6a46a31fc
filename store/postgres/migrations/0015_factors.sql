-- Authentication factors a user enrolled (passkeys, TOTP generators). A
-- passkey's WebAuthn credential ID is unique across every user, since a
-- username-less sign-in finds the factor, and so the user, by it; other
-- kinds have none (NULL, which the partial index leaves out). data is the
-- kind's state, opaque here (a TOTP secret arrives sealed); a factor never
-- used has last_used_at NULL. seq orders factors enrolled in the same
-- microsecond as they were enrolled.
CREATE TABLE factors (
    id            text PRIMARY KEY,
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    user_id       text NOT NULL,
    kind          text NOT NULL,
    name          text NOT NULL,
    credential_id bytea,
    data          bytea NOT NULL,
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE UNIQUE INDEX factors_credential_id ON factors (credential_id) WHERE credential_id IS NOT NULL;
CREATE INDEX factors_user_id ON factors (user_id, created_at, seq);

-- Recovery codes, kept as digests (the codes are shown once and never
-- stored). A code is spent by one conditional UPDATE ... WHERE used_at IS
-- NULL: concurrent uses queue on the row lock and all but the first find
-- used_at set.
CREATE TABLE recovery_codes (
    user_id    text NOT NULL,
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, hash)
);
