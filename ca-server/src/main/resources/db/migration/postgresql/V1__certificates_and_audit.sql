-- PostgreSQL's form of sqlite/V1: every certificate the CA has signed, and the hash-chained audit
-- log. Times are epoch seconds (validity) or milliseconds, as there.
CREATE TABLE certificates (
    serial          BIGINT  PRIMARY KEY,
    kind            TEXT    NOT NULL,
    key_id          TEXT    NOT NULL,
    principals      TEXT    NOT NULL,
    valid_after     BIGINT  NOT NULL,
    valid_before    BIGINT  NOT NULL,
    key_fingerprint TEXT    NOT NULL,
    identity        TEXT    NOT NULL,
    issuer          TEXT    NOT NULL,
    client_address  TEXT,
    roles           TEXT    NOT NULL,
    issued_at       BIGINT  NOT NULL
);
CREATE INDEX certificates_identity ON certificates (identity);
CREATE INDEX certificates_key_id ON certificates (key_id);
CREATE INDEX certificates_fingerprint ON certificates (key_fingerprint);

-- The audit log: append-only, each event carrying the SHA-256 of the previous one.
CREATE TABLE audit_events (
    seq            BIGINT  PRIMARY KEY,
    at             BIGINT  NOT NULL,
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
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);

-- Refuses every change to a table whose rows are only ever added; the message names the table.
CREATE FUNCTION writ_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are append-only', replace(TG_TABLE_NAME, '_', ' ');
END;
$$;

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION writ_append_only();
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION writ_append_only();
CREATE TRIGGER audit_events_append_only_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION writ_append_only();
