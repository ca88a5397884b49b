-- The ids of the events bastions reported (<bastion>:<stream>:<seq>), each stored once: a bastion
-- sends its spooled events again when an answer was lost, and the CA skips the ones it has. The
-- row is written in the same transaction as the audit event it names (audit_seq).
CREATE TABLE bastion_audit_ids (
    bastion     TEXT    NOT NULL,
    stream      TEXT    NOT NULL,
    bastion_seq INTEGER NOT NULL,
    audit_seq   INTEGER NOT NULL REFERENCES audit_events (seq),
    PRIMARY KEY (bastion, stream, bastion_seq)
) WITHOUT ROWID;
