-- Webhook deliveries waiting to be made. Any replica's delivery worker claims a due row with a
-- conditional UPDATE that sets a lease (claimed_by, lease_until), so exactly one replica POSTs it
-- at a time; a replica that dies mid-delivery leaves the lease to expire and another delivers.
-- hook is a digest of the receiver's URL (which may hold a secret) that every replica's config
-- names alike. Delivered rows are deleted; failed ones stay with state 'failed'.
CREATE TABLE webhook_outbox (
    id              BIGINT  NOT NULL PRIMARY KEY,
    hook            TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    claimed_by      TEXT,
    lease_until     BIGINT,
    created_at      BIGINT  NOT NULL,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_at);
