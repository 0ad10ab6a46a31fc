-- Links from upstream identities (connectors) to users: a federated
-- sign-in finds its user by (connector_id, subject).
CREATE TABLE user_links (
    connector_id TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (connector_id, subject)
);
CREATE INDEX user_links_user_id ON user_links (user_id, created_at);
