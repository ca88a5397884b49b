-- Just-in-time access: requests for requestable roles, their reviews, and which certificates
-- carry which grant. Times are epoch milliseconds. A request is its own grant once approved:
-- state 'approved' with grant_start and grant_end, 'ended' when the grant is over.
CREATE TABLE access_requests (
    id                 TEXT    PRIMARY KEY,
    requester          TEXT    NOT NULL,
    requester_issuer   TEXT    NOT NULL,
    requester_subject  TEXT    NOT NULL,
    requester_email    TEXT,
    role               TEXT    NOT NULL,
    reason             TEXT,
    duration_seconds   INTEGER NOT NULL CHECK (duration_seconds > 0),
    start_at           INTEGER,
    state              TEXT    NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'withdrawn', 'ended')),
    mode               TEXT    NOT NULL CHECK (mode IN ('review', 'auto', 'break_glass')),
    approvals_required INTEGER NOT NULL,
    decision_reason    TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    decided_at         INTEGER,
    grant_start        INTEGER,
    grant_end          INTEGER,
    ended_at           INTEGER,
    end_reason         TEXT,
    CHECK ((state IN ('approved', 'ended')) = (grant_start IS NOT NULL AND grant_end IS NOT NULL))
);
CREATE INDEX access_requests_state ON access_requests (state);
CREATE INDEX access_requests_requester ON access_requests (requester_issuer, requester_subject, created_at);

-- One row per reviewer and request; a request counts distinct approvals.
CREATE TABLE access_reviews (
    request_id       TEXT    NOT NULL REFERENCES access_requests (id),
    reviewer         TEXT    NOT NULL,
    reviewer_issuer  TEXT    NOT NULL,
    reviewer_subject TEXT    NOT NULL,
    reviewer_email   TEXT,
    decision         TEXT    NOT NULL CHECK (decision IN ('approve', 'deny')),
    comment          TEXT,
    at               INTEGER NOT NULL,
    PRIMARY KEY (request_id, reviewer_issuer, reviewer_subject)
);

-- Which certificates carry which access grant: revoked together when the grant ends.
CREATE TABLE certificate_grants (
    serial     INTEGER NOT NULL REFERENCES certificates (serial),
    request_id TEXT    NOT NULL REFERENCES access_requests (id),
    PRIMARY KEY (serial, request_id)
);
CREATE INDEX certificate_grants_request ON certificate_grants (request_id);
