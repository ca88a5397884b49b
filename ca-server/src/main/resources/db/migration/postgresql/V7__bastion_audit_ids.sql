-- PostgreSQL's form of sqlite/V7: the ids of the events bastions reported, each stored once.
CREATE TABLE bastion_audit_ids (
    bastion     TEXT    NOT NULL,
    stream      TEXT    NOT NULL,
    bastion_seq BIGINT  NOT NULL,
    audit_seq   BIGINT  NOT NULL REFERENCES audit_events (seq),
    PRIMARY KEY (bastion, stream, bastion_seq)
);
