-- One revocation table. V2's revoked_serials (read only by host-certificate renewal) joins V3's
-- revocations, which renewal, the bastion's checks and the KRL all read from now on. Its rows are
-- copied in the order they were revoked (so the KRL's version grows past them), unless the serial
-- is already revoked there.
INSERT INTO revocations (serial, reason, revoked_by, revoked_at)
    SELECT serial, reason, 'writ', revoked_at FROM revoked_serials
    WHERE serial NOT IN (SELECT serial FROM revocations WHERE serial IS NOT NULL)
    ORDER BY revoked_at, serial;

DROP TABLE revoked_serials;
