-- PostgreSQL's form of sqlite/V2: host certificates, one-time join tokens, revoked serials.
CREATE TABLE join_tokens (
    hash        TEXT    PRIMARY KEY,
    hostnames   TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT,
    used_serial BIGINT  REFERENCES certificates (serial)
);

CREATE TABLE host_certificates (
    serial       BIGINT  PRIMARY KEY REFERENCES certificates (serial),
    rule         TEXT    NOT NULL,
    via          TEXT    NOT NULL CHECK (via IN ('workload', 'join_token', 'renewal')),
    join_token   TEXT    REFERENCES join_tokens (hash),
    renewed_from BIGINT  REFERENCES certificates (serial)
);
CREATE INDEX host_certificates_renewed_from ON host_certificates (renewed_from);

CREATE TABLE revoked_serials (
    serial     BIGINT  PRIMARY KEY,
    revoked_at BIGINT  NOT NULL,
    reason     TEXT    NOT NULL
);
