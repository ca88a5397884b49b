package dev.writ.ca.store;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;

/**
 * The ids of the bastion assertions the CA accepted (migration V10), shared by every replica on
 * this database: an id is accepted once until its assertion expires, whichever replica sees it.
 */
public final class AssertionIds {

    /** How often expired ids are deleted, at most. */
    private static final Duration PRUNE_EVERY = Duration.ofSeconds(30);

    private final Store store;
    private volatile Instant lastPrune = Instant.EPOCH;

    AssertionIds(Store store) {
        this.store = store;
    }

    /**
     * Records {@code jti} of {@code bastion} as used until {@code until}: true when it was not in
     * use (absent, or its earlier use expired), false when it is a replay.
     */
    public boolean firstUse(String bastion, String jti, Instant until, Instant now) throws StoreException {
        boolean prune = lastPrune.plus(PRUNE_EVERY).isBefore(now);
        if (prune) {
            lastPrune = now;
        }
        return store.write(connection -> {
            if (prune) {
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM bastion_assertion_ids WHERE expires_at < ?")) {
                    delete.setLong(1, now.toEpochMilli());
                    delete.executeUpdate();
                }
            }
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO bastion_assertion_ids (bastion, jti, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (bastion, jti) DO UPDATE SET expires_at = excluded.expires_at
                    WHERE bastion_assertion_ids.expires_at < ?""")) {
                insert.setString(1, bastion);
                insert.setString(2, jti);
                insert.setLong(3, until.toEpochMilli());
                insert.setLong(4, now.toEpochMilli());
                return insert.executeUpdate() == 1;
            }
        });
    }
}
