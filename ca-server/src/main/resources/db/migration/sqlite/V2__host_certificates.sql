-- Host certificates: the host rule that issued each one (its renewals keep to that rule's TTL),
-- how the request was authorized, and which certificate a renewal replaced.
CREATE TABLE host_certificates (
    serial       INTEGER PRIMARY KEY REFERENCES certificates (serial),
    rule         TEXT    NOT NULL,
    via          TEXT    NOT NULL CHECK (via IN ('workload', 'join_token', 'renewal')),
    join_token   TEXT    REFERENCES join_tokens (hash),
    renewed_from INTEGER REFERENCES certificates (serial)
);
CREATE INDEX host_certificates_renewed_from ON host_certificates (renewed_from);

-- One-time join tokens that admins create for named hostnames. Only the SHA-256 of the secret
-- is kept. A token is spent by setting used_at in the transaction that records the certificate.
CREATE TABLE join_tokens (
    hash        TEXT    PRIMARY KEY,
    hostnames   TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_serial INTEGER REFERENCES certificates (serial)
);

-- Revoked certificates by serial: renewal refuses them. The minimal form of revocation; the
-- revocation endpoint and the KRL are built on it.
CREATE TABLE revoked_serials (
    serial     INTEGER PRIMARY KEY,
    revoked_at INTEGER NOT NULL,
    reason     TEXT    NOT NULL
);
