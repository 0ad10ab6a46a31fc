-- Authentication factors (package mfa) kept whole as JSON documents, with
-- the columns they are found by beside them. A passkey's credential ID is
-- unique across every user: a username-less sign-in finds its owner by it.
-- Other kinds have none (NULL, which UNIQUE lets repeat).
CREATE TABLE factors (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    credential_id BLOB UNIQUE,
    data          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX factors_user_id ON factors (user_id, created_at, id);

-- Recovery codes by their digests. used_at is set once, by a conditional
-- update, which is what makes a code single use.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL,
    hash    TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, hash)
);
