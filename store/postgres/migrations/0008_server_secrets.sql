CREATE TABLE server_secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
