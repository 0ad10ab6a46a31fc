CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    data          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Pending authorization requests: validated /authorize and PAR requests
-- waiting for the user to sign in and consent.
CREATE TABLE auth_requests (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE consents (
    user_id   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes    TEXT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE auth_codes (
    hash       TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

-- A grant is what one authorization produced: a refresh token family and
-- the access tokens issued from it, revoked together. Issuing from a grant
-- checks revoked_at in the same transaction, so no token escapes a
-- revocation that races with its issuance.
CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX grants_user_id ON grants (user_id);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

CREATE TABLE refresh_tokens (
    hash        TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    data        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    rotated_at  INTEGER,
    successor   BLOB,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE grant_access_tokens (
    grant_id   TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (grant_id, jti)
);
CREATE INDEX grant_access_tokens_expires_at ON grant_access_tokens (expires_at);
