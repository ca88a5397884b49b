-- Revoked certificates and keys, one row per revocation, by exactly one of: certificate serial,
-- certificate key id, or key fingerprint (SHA256:...). GET /v1/krl serves them as an OpenSSH KRL;
-- the id only grows, so the largest id is the KRL's version. (V2 is left to host certificates.)
CREATE TABLE revocations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    serial          INTEGER,
    key_id          TEXT,
    key_fingerprint TEXT,
    reason          TEXT    NOT NULL,
    revoked_by      TEXT    NOT NULL,
    revoked_at      INTEGER NOT NULL,
    CHECK ((serial IS NOT NULL) + (key_id IS NOT NULL) + (key_fingerprint IS NOT NULL) = 1)
);
CREATE INDEX revocations_serial ON revocations (serial);
CREATE INDEX revocations_key_id ON revocations (key_id);
CREATE INDEX revocations_fingerprint ON revocations (key_fingerprint);

CREATE TRIGGER revocations_append_only_update BEFORE UPDATE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
CREATE TRIGGER revocations_append_only_delete BEFORE DELETE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
