CREATE TABLE audit_events (
    id         bigserial PRIMARY KEY,
    time       timestamptz NOT NULL,
    type       text NOT NULL,
    subject    text NOT NULL,
    client_id  text NOT NULL,
    remote     text NOT NULL,
    request_id text NOT NULL,
    detail     json NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events (subject, id);
CREATE INDEX audit_events_client_id ON audit_events (client_id, id);
CREATE INDEX audit_events_time ON audit_events (time);
