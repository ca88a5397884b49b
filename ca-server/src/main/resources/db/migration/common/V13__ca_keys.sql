-- Every key of the user, session and host CAs and its place in a rotation, shared by all
-- replicas: 'next' (published, not yet signing), 'active' (signs; one per CA), 'previous'
-- (published, signs no more), 'retired' (neither). location is file:NAME (in the keys
-- directory) or pkcs11:LABEL. Times are epoch milliseconds.
CREATE TABLE ca_keys (
    ca             TEXT   NOT NULL,
    fingerprint    TEXT   NOT NULL,
    public_key     TEXT   NOT NULL,
    location       TEXT   NOT NULL,
    state          TEXT   NOT NULL,
    added_at       BIGINT NOT NULL,
    activated_at   BIGINT,
    deactivated_at BIGINT,
    retired_at     BIGINT,
    PRIMARY KEY (ca, fingerprint)
);

-- Rotation steps taken by writ-ca keys, waiting for a running CA to write them to its audit
-- chain (which only the CA appends to); a replica claims each by deleting it.
CREATE TABLE ca_key_events (
    id      TEXT   PRIMARY KEY,
    at      BIGINT NOT NULL,
    type    TEXT   NOT NULL,
    actor   TEXT   NOT NULL,
    details TEXT   NOT NULL
);
