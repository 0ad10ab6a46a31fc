-- Clients created at run time, kept whole as their JSON (RFC 7591 metadata
-- names). json rather than jsonb keeps the document byte for byte, so a
-- client's jwks comes back exactly as it was registered.
CREATE TABLE clients (
    id         text PRIMARY KEY,
    data       json NOT NULL,
    created_at timestamptz NOT NULL
);

-- timestamptz keeps microseconds: a rotation in the same second as the
-- previous key's activation must still order after it.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    alg          text NOT NULL,
    private_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    activates_at timestamptz NOT NULL
);

-- seq is the pollers' cursor. Inserts take an advisory lock first (see
-- lockRevocations in postgres.go), so seq order is commit order and a
-- cursor skips nothing.
CREATE TABLE revocations (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jti        text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL
);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE used_once (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX used_once_expires_at ON used_once (expires_at);
