-- PostgreSQL's form of sqlite/V5: the index of session recordings and their text. SQLite's FTS5
-- trigram table becomes a plain table whose rowid column keeps the same numbering (the
-- recording's seq times 2^24 plus the line's number), searched with ILIKE '%text%' through a GIN
-- trigram index (pg_trgm): the same case-insensitive substring match of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE recordings (
    seq            BIGINT  PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    session_id     TEXT    NOT NULL,
    identity       TEXT    NOT NULL,
    login          TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    serial         TEXT,
    grant_id       TEXT,
    client_address TEXT,
    started_at     BIGINT  NOT NULL,
    ended_at       BIGINT  NOT NULL,
    size           BIGINT  NOT NULL,
    truncated      INTEGER NOT NULL CHECK (truncated IN (0, 1)),
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    sha256         TEXT    NOT NULL,
    signature      TEXT    NOT NULL,
    bastion        TEXT    NOT NULL,
    bastion_key    TEXT    NOT NULL,
    file           TEXT    NOT NULL,
    stored_at      BIGINT  NOT NULL,
    lines          INTEGER NOT NULL
);
CREATE INDEX recordings_started ON recordings (started_at);
CREATE INDEX recordings_identity ON recordings (identity, started_at);
CREATE INDEX recordings_target ON recordings (target, started_at);

CREATE TABLE recording_text (
    rowid     BIGINT  PRIMARY KEY,
    text      TEXT    NOT NULL,
    offset_ms BIGINT  NOT NULL
);
CREATE INDEX recording_text_trigrams ON recording_text USING gin (text gin_trgm_ops);

-- Each replica takes a recording's seq from here, before its lines are written.
CREATE SEQUENCE recording_seq;
