-- PostgreSQL's form of sqlite/V4: access requests, their reviews, and the certificates of each grant.
CREATE TABLE access_requests (
    id                 TEXT    PRIMARY KEY,
    requester          TEXT    NOT NULL,
    requester_issuer   TEXT    NOT NULL,
    requester_subject  TEXT    NOT NULL,
    requester_email    TEXT,
    role               TEXT    NOT NULL,
    reason             TEXT,
    duration_seconds   BIGINT  NOT NULL CHECK (duration_seconds > 0),
    start_at           BIGINT,
    state              TEXT    NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'withdrawn', 'ended')),
    mode               TEXT    NOT NULL CHECK (mode IN ('review', 'auto', 'break_glass')),
    approvals_required INTEGER NOT NULL,
    decision_reason    TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    decided_at         BIGINT,
    grant_start        BIGINT,
    grant_end          BIGINT,
    ended_at           BIGINT,
    end_reason         TEXT,
    CHECK ((state IN ('approved', 'ended')) = (grant_start IS NOT NULL AND grant_end IS NOT NULL))
);
CREATE INDEX access_requests_state ON access_requests (state);
CREATE INDEX access_requests_requester ON access_requests (requester_issuer, requester_subject, created_at);

CREATE TABLE access_reviews (
    request_id       TEXT    NOT NULL REFERENCES access_requests (id),
    reviewer         TEXT    NOT NULL,
    reviewer_issuer  TEXT    NOT NULL,
    reviewer_subject TEXT    NOT NULL,
    reviewer_email   TEXT,
    decision         TEXT    NOT NULL CHECK (decision IN ('approve', 'deny')),
    comment          TEXT,
    at               BIGINT  NOT NULL,
    PRIMARY KEY (request_id, reviewer_issuer, reviewer_subject)
);

CREATE TABLE certificate_grants (
    serial     BIGINT  NOT NULL REFERENCES certificates (serial),
    request_id TEXT    NOT NULL REFERENCES access_requests (id),
    PRIMARY KEY (serial, request_id)
);
CREATE INDEX certificate_grants_request ON certificate_grants (request_id);
