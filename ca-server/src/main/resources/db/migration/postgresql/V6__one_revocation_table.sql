-- PostgreSQL's form of sqlite/V6: V2's revoked_serials joins revocations, in the order revoked.
INSERT INTO revocations (id, serial, reason, revoked_by, revoked_at)
    SELECT (SELECT coalesce(max(id), 0) FROM revocations) + row_number() OVER (ORDER BY revoked_at, serial),
           serial, reason, 'writ', revoked_at
    FROM revoked_serials
    WHERE serial NOT IN (SELECT serial FROM revocations WHERE serial IS NOT NULL);

DROP TABLE revoked_serials;
