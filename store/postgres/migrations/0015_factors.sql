-- Authentication factors (package mfa) kept whole as JSON documents, with
-- the columns they are found by beside them. A passkey's credential ID is
-- unique across every user: a username-less sign-in finds its owner by it.
-- Other kinds have none (NULL, which UNIQUE lets repeat).
CREATE TABLE factors (
    id            text PRIMARY KEY,
    user_id       text NOT NULL,
    credential_id bytea UNIQUE,
    data          json NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX factors_user_id ON factors (user_id, created_at, id);

-- Recovery codes by their digests. used_at is set once, by a conditional
-- update, which is what makes a code single use.
CREATE TABLE recovery_codes (
    user_id text NOT NULL,
    hash    text NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, hash)
);
