-- Every certificate the CA has signed. Principals and roles are JSON arrays.
CREATE TABLE certificates (
    serial          INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    key_id          TEXT    NOT NULL,
    principals      TEXT    NOT NULL,
    valid_after     INTEGER NOT NULL,
    valid_before    INTEGER NOT NULL,
    key_fingerprint TEXT    NOT NULL,
    identity        TEXT    NOT NULL,
    issuer          TEXT    NOT NULL,
    client_address  TEXT,
    roles           TEXT    NOT NULL,
    issued_at       INTEGER NOT NULL
);
CREATE INDEX certificates_identity ON certificates (identity);
CREATE INDEX certificates_key_id ON certificates (key_id);
CREATE INDEX certificates_fingerprint ON certificates (key_fingerprint);

-- The audit log: append-only, each event carrying the SHA-256 of the previous one.
CREATE TABLE audit_events (
    seq            INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    client_address TEXT,
    details        TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor);

-- The newest event's sequence number and hash, so that a deleted tail is detected too.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
