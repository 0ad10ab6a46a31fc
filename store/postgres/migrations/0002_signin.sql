CREATE TABLE users (
    id         text PRIMARY KEY,
    username   text NOT NULL UNIQUE,
    data       json NOT NULL,
    created_at timestamptz NOT NULL
);

-- Pending authorization requests: validated /authorize and PAR requests
-- waiting for the user to sign in and consent.
CREATE TABLE auth_requests (
    id         text PRIMARY KEY,
    data       json NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE sessions (
    id_hash    text PRIMARY KEY,
    user_id    text NOT NULL,
    data       json NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE consents (
    user_id   text NOT NULL,
    client_id text NOT NULL,
    scopes    text[] NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- A code is redeemed by one conditional UPDATE ... RETURNING: concurrent
-- redemptions queue on the row lock and all but the first find used_at set.
CREATE TABLE auth_codes (
    hash       text PRIMARY KEY,
    data       json NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

-- A grant is what one authorization produced: a refresh token family and
-- the access tokens issued from it, revoked together. Issuing from a grant
-- locks its row (SELECT ... FOR UPDATE) and checks revoked_at in the same
-- transaction, and revoking updates that row first, so the two serialize:
-- no token escapes a revocation that races with its issuance.
CREATE TABLE grants (
    id         text PRIMARY KEY,
    user_id    text NOT NULL,
    client_id  text NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX grants_user_id ON grants (user_id);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

CREATE TABLE refresh_tokens (
    hash       text PRIMARY KEY,
    grant_id   text NOT NULL,
    user_id    text NOT NULL,
    client_id  text NOT NULL,
    data       json NOT NULL,
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    successor  bytea,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
-- Only rotated tokens still holding a successor response: the garbage
-- collector's scan for responses past the grace period stays small.
CREATE INDEX refresh_tokens_successor_rotated_at ON refresh_tokens (rotated_at) WHERE successor IS NOT NULL;

CREATE TABLE grant_access_tokens (
    grant_id   text NOT NULL,
    jti        text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (grant_id, jti)
);
CREATE INDEX grant_access_tokens_expires_at ON grant_access_tokens (expires_at);
