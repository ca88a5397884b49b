-- Signed checkpoints of the audit chain: the audit key's signature over the statement that event
-- seq had this hash at this time (see AuditCheckpoint). Rows are only ever added.
CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    hash      TEXT   NOT NULL,
    at        BIGINT NOT NULL,
    key_id    TEXT   NOT NULL,
    signature TEXT   NOT NULL
);
