-- PostgreSQL's form of sqlite/V3: revoked certificates and keys, one row per revocation. The
-- store assigns each id (the KRL's version) inside its write transaction, under the writers' lock,
-- so ids grow in commit order on every replica.
CREATE TABLE revocations (
    id              BIGINT  PRIMARY KEY,
    serial          BIGINT,
    key_id          TEXT,
    key_fingerprint TEXT,
    reason          TEXT    NOT NULL,
    revoked_by      TEXT    NOT NULL,
    revoked_at      BIGINT  NOT NULL,
    CHECK ((serial IS NOT NULL)::int + (key_id IS NOT NULL)::int + (key_fingerprint IS NOT NULL)::int = 1)
);
CREATE INDEX revocations_serial ON revocations (serial);
CREATE INDEX revocations_key_id ON revocations (key_id);
CREATE INDEX revocations_fingerprint ON revocations (key_fingerprint);

CREATE TRIGGER revocations_append_only_update BEFORE UPDATE ON revocations
    FOR EACH ROW EXECUTE FUNCTION writ_append_only();
CREATE TRIGGER revocations_append_only_delete BEFORE DELETE ON revocations
    FOR EACH ROW EXECUTE FUNCTION writ_append_only();
CREATE TRIGGER revocations_append_only_truncate BEFORE TRUNCATE ON revocations
    FOR EACH STATEMENT EXECUTE FUNCTION writ_append_only();
