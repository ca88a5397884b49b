package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Webhook deliveries waiting to be made (migration V11), shared by the replicas on this database.
 * A delivery worker {@link #claim claims} due rows under a lease, so that exactly one replica
 * delivers each at a time, then marks each {@link #delivered} or {@link #retryLater failed}; a
 * lease that runs out (its replica died mid-delivery) makes the row due again for any replica.
 */
public final class WebhookOutbox {

    /** A delivery to make. */
    public record Delivery(String hook, String event, String body) {
    }

    /** A claimed delivery; {@code attempt} counts this one, 1 for the first. */
    public record Claimed(long id, String hook, String event, String body, int attempt) {
    }

    private final Store store;
    private final Connection read;

    WebhookOutbox(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    /**
     * Stores the deliveries, due now, in one transaction, as long as fewer than {@code capacity}
     * wait; returns how many were stored (the rest were dropped).
     */
    public int enqueue(List<Delivery> deliveries, int capacity, Instant now) throws StoreException {
        if (deliveries.isEmpty()) {
            return 0;
        }
        return store.write(connection -> {
            int room = capacity - pending(connection);
            int stored = 0;
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO webhook_outbox (id, hook, event, body, state, attempts, next_attempt_at, created_at)
                    SELECT coalesce(max(id), 0) + 1, ?, ?, ?, 'pending', 0, ?, ? FROM webhook_outbox""")) {
                for (Delivery d : deliveries) {
                    if (stored >= room) {
                        break;
                    }
                    insert.setString(1, d.hook());
                    insert.setString(2, d.event());
                    insert.setString(3, d.body());
                    insert.setLong(4, now.toEpochMilli());
                    insert.setLong(5, now.toEpochMilli());
                    NextIds.insert(connection, insert::executeUpdate);
                    stored++;
                }
            }
            return stored;
        });
    }

    /**
     * Claims up to {@code limit} due deliveries for one of {@code hooks} under {@code claim} (unique
     * to this call) until {@code now + lease}, counting an attempt for each. A row is due when it
     * waits and no unexpired lease holds it; the conditional UPDATE lets one claimer win each row.
     */
    public List<Claimed> claim(String claim, Collection<String> hooks, Instant now, Duration lease, int limit)
            throws StoreException {
        if (hooks.isEmpty()) {
            return List.of();
        }
        String in = String.join(", ", Collections.nCopies(hooks.size(), "?"));
        String due = "state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)";
        return store.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE webhook_outbox SET claimed_by = ?, lease_until = ?, attempts = attempts + 1 WHERE " + due
                            + " AND id IN (SELECT id FROM webhook_outbox WHERE " + due + " AND hook IN (" + in + ")"
                            + " ORDER BY id LIMIT ?)")) {
                int i = 1;
                update.setString(i++, claim);
                update.setLong(i++, now.plus(lease).toEpochMilli());
                for (int round = 0; round < 2; round++) {
                    update.setLong(i++, now.toEpochMilli());
                    update.setLong(i++, now.toEpochMilli());
                }
                for (String hook : hooks) {
                    update.setString(i++, hook);
                }
                update.setInt(i, limit);
                if (update.executeUpdate() == 0) {
                    return List.of();
                }
            }
            List<Claimed> claimed = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, hook, event, body, attempts FROM webhook_outbox WHERE claimed_by = ? ORDER BY id")) {
                select.setString(1, claim);
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(new Claimed(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getInt(5)));
                    }
                }
            }
            return claimed;
        });
    }

    /** The receiver accepted it: the row goes, if {@code claim} still holds it. */
    public void delivered(Claimed delivery, String claim) throws StoreException {
        store.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM webhook_outbox WHERE id = ? AND claimed_by = ?")) {
                delete.setLong(1, delivery.id());
                delete.setString(2, claim);
                return delete.executeUpdate();
            }
        });
    }

    /**
     * The attempt failed: the row is due again at {@code next} (its lease released), or, with
     * {@code next} null, given up ({@code failed}); only if {@code claim} still holds it.
     */
    public void retryLater(Claimed delivery, String claim, Instant next, String error) throws StoreException {
        store.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE webhook_outbox SET state = ?, next_attempt_at = ?, claimed_by = NULL, lease_until = NULL,
                                              last_error = ?
                    WHERE id = ? AND claimed_by = ?""")) {
                update.setString(1, next == null ? "failed" : "pending");
                update.setLong(2, next == null ? 0 : next.toEpochMilli());
                update.setString(3, error);
                update.setLong(4, delivery.id());
                update.setString(5, claim);
                return update.executeUpdate();
            }
        });
    }

    /** Deliveries waiting (due or not, leased or not). */
    public int pending() throws StoreException {
        synchronized (store) {
            try {
                return pending(read);
            } catch (SQLException e) {
                throw new StoreException("cannot read the webhook outbox", e);
            }
        }
    }

    private static int pending(Connection connection) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT count(*) FROM webhook_outbox WHERE state = 'pending'");
             ResultSet rs = count.executeQuery()) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
