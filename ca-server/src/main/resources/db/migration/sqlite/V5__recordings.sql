-- Session recordings that bastions uploaded: asciicast v2 files under the recordings directory,
-- read-only once stored, each with the SHA-256 its bastion signed. Times are epoch milliseconds.
CREATE TABLE recordings (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    session_id     TEXT    NOT NULL,
    identity       TEXT    NOT NULL,
    login          TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    serial         TEXT,
    grant_id       TEXT,
    client_address TEXT,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    truncated      INTEGER NOT NULL CHECK (truncated IN (0, 1)),
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    sha256         TEXT    NOT NULL,
    signature      TEXT    NOT NULL,
    bastion        TEXT    NOT NULL,
    bastion_key    TEXT    NOT NULL,
    file           TEXT    NOT NULL,
    stored_at      INTEGER NOT NULL,
    lines          INTEGER NOT NULL
);
CREATE INDEX recordings_started ON recordings (started_at);
CREATE INDEX recordings_identity ON recordings (identity, started_at);
CREATE INDEX recordings_target ON recordings (target, started_at);

-- The output text of the recordings, escape sequences stripped: one row per line, with the time
-- (ms from the start) at which the line was complete on screen. The rowid is the recording's seq
-- times 2^24 plus the line's number, so one recording's lines are one rowid range. Trigrams make
-- every substring of three or more characters searchable, punctuation included ("rm -rf").
CREATE VIRTUAL TABLE recording_text USING fts5 (
    text,
    offset_ms UNINDEXED,
    tokenize = 'trigram'
);
