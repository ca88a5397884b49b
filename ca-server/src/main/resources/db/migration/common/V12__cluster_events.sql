-- What one replica tells the others: bastion sync reports, sessions started and ended, sessions an
-- admin ended. Every replica reads the rows after the last id it has seen, a few times a second,
-- and applies those other replicas wrote (origin). The id is one more than the largest, given in
-- the inserting transaction, so ids follow commit order. Rows older than a few minutes are deleted.
CREATE TABLE cluster_events (
    id         BIGINT NOT NULL PRIMARY KEY,
    origin     TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    payload    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cluster_events_created ON cluster_events (created_at);
