-- The ids (jti) of the bastion assertions the CA accepted, kept until the assertion expires: an
-- assertion is single-use on every replica that shares this database. A row is inserted when
-- absent; one whose expiry passed may be taken over; expired rows are deleted now and then.
CREATE TABLE bastion_assertion_ids (
    bastion    TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (bastion, jti)
);
CREATE INDEX bastion_assertion_ids_expiry ON bastion_assertion_ids (expires_at);
