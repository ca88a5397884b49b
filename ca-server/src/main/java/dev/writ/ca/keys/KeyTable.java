package dev.writ.ca.keys;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The {@code ca_keys} table: each CA key's state in its rotation, the same for every replica. */
public final class KeyTable implements AutoCloseable {

    /** One key of one CA. Times are null until the step happened. */
    public record Row(String ca, String fingerprint, String publicKey, String location, String state, Instant addedAt,
                      Instant activatedAt, Instant deactivatedAt, Instant retiredAt) {
        public boolean published() {
            return !RETIRED.equals(state);
        }
    }

    public static final String NEXT = "next";
    public static final String ACTIVE = "active";
    public static final String PREVIOUS = "previous";
    public static final String RETIRED = "retired";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Connection connection;

    private KeyTable(Connection connection) {
        this.connection = connection;
    }

    /** Its own connection to the store's database (the store created and migrated it). */
    public static KeyTable open(Store store) throws StoreException {
        return new KeyTable(store.openConnection());
    }

    public synchronized List<Row> rows() throws StoreException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT * FROM ca_keys ORDER BY ca, added_at, fingerprint");
             ResultSet rs = select.executeQuery()) {
            List<Row> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(new Row(rs.getString("ca"), rs.getString("fingerprint"), rs.getString("public_key"),
                        rs.getString("location"), rs.getString("state"), instant(rs, "added_at"),
                        instant(rs, "activated_at"), instant(rs, "deactivated_at"), instant(rs, "retired_at")));
            }
            return rows;
        } catch (SQLException e) {
            throw new StoreException("cannot read the CA key table", e);
        }
    }

    public List<Row> rows(String ca) throws StoreException {
        return rows().stream().filter(r -> r.ca().equals(ca)).toList();
    }

    /** Records the key a CA signs with when the table knows none of its keys yet (a first start, an upgrade). */
    public synchronized void adoptIfEmpty(String ca, String fingerprint, String publicKey, String location, Instant now)
            throws StoreException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO ca_keys (ca, fingerprint, public_key, location, state, added_at, activated_at)
                SELECT ?, ?, ?, ?, 'active', ?, ? WHERE NOT EXISTS (SELECT 1 FROM ca_keys WHERE ca = ?)""")) {
            insert.setString(1, ca);
            insert.setString(2, fingerprint);
            insert.setString(3, publicKey);
            insert.setString(4, location);
            insert.setLong(5, now.toEpochMilli());
            insert.setLong(6, now.toEpochMilli());
            insert.setString(7, ca);
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot record the CA key of " + ca, e);
        }
    }

    /** A rotation step's audit event, written with the step and audited by the next CA that reads the table. */
    public record Event(Instant at, String type, String actor, Map<String, Object> details) {
    }

    public synchronized void insertNext(String ca, String fingerprint, String publicKey, String location, Event event)
            throws StoreException {
        inTransaction("cannot record the new key of " + ca, () -> {
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO ca_keys (ca, fingerprint, public_key, location, state, added_at) VALUES (?, ?, ?, ?, 'next', ?)""")) {
                insert.setString(1, ca);
                insert.setString(2, fingerprint);
                insert.setString(3, publicKey);
                insert.setString(4, location);
                insert.setLong(5, event.at().toEpochMilli());
                insert.executeUpdate();
            }
            insertEvent(event);
        });
    }

    /** In one transaction: the active key of {@code ca} becomes previous, {@code fingerprint} becomes active. */
    public synchronized void activate(String ca, String fingerprint, Event event) throws StoreException {
        inTransaction("cannot activate " + fingerprint + " of " + ca, () -> {
            try (PreparedStatement old = connection.prepareStatement(
                    "UPDATE ca_keys SET state = 'previous', deactivated_at = ? WHERE ca = ? AND state = 'active'");
                 PreparedStatement fresh = connection.prepareStatement(
                         "UPDATE ca_keys SET state = 'active', activated_at = ?, deactivated_at = NULL"
                                 + " WHERE ca = ? AND fingerprint = ? AND state IN ('next', 'previous')")) {
                old.setLong(1, event.at().toEpochMilli());
                old.setString(2, ca);
                old.executeUpdate();
                fresh.setLong(1, event.at().toEpochMilli());
                fresh.setString(2, ca);
                fresh.setString(3, fingerprint);
                if (fresh.executeUpdate() != 1) {
                    throw new SQLException("key " + fingerprint + " of " + ca + " is not next or previous");
                }
            }
            insertEvent(event);
        });
    }

    public synchronized void retire(String ca, String fingerprint, Event event) throws StoreException {
        inTransaction("cannot retire " + fingerprint + " of " + ca, () -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE ca_keys SET state = 'retired', retired_at = ?"
                    + " WHERE ca = ? AND fingerprint = ? AND state IN ('next', 'previous')")) {
                update.setLong(1, event.at().toEpochMilli());
                update.setString(2, ca);
                update.setString(3, fingerprint);
                if (update.executeUpdate() != 1) {
                    throw new SQLException("key " + fingerprint + " of " + ca + " is not next or previous");
                }
            }
            insertEvent(event);
        });
    }

    /** Takes the rotation steps not yet audited: each is claimed (deleted) by exactly one reader. */
    public synchronized List<Event> claimEvents() throws StoreException {
        List<Event> claimed = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT id, at, type, actor, details FROM ca_key_events ORDER BY at, id");
             ResultSet rs = select.executeQuery()) {
            List<String[]> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), Long.toString(rs.getLong(2)), rs.getString(3), rs.getString(4), rs.getString(5)});
            }
            for (String[] row : rows) {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM ca_key_events WHERE id = ?")) {
                    delete.setString(1, row[0]);
                    if (delete.executeUpdate() == 1) {
                        claimed.add(new Event(Instant.ofEpochMilli(Long.parseLong(row[1])), row[2], row[3],
                                JSON.readValue(row[4], new TypeReference<Map<String, Object>>() { })));
                    }
                }
            }
            return claimed;
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot read the rotation steps to audit", e);
        }
    }

    private void insertEvent(Event event) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO ca_key_events (id, at, type, actor, details) VALUES (?, ?, ?, ?, ?)")) {
            insert.setString(1, java.util.UUID.randomUUID().toString());
            insert.setLong(2, event.at().toEpochMilli());
            insert.setString(3, event.type());
            insert.setString(4, event.actor());
            insert.setString(5, JSON.writeValueAsString(event.details()));
            insert.executeUpdate();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("cannot encode the audit details", e);
        }
    }

    private interface SqlSteps {
        void run() throws SQLException;
    }

    private void inTransaction(String failure, SqlSteps steps) throws StoreException {
        try {
            connection.setAutoCommit(false);
            try {
                steps.run();
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(failure + ": " + e.getMessage(), e);
        }
    }

    /** Certificates still valid and not revoked. */
    public record Outstanding(long count, Instant lastValidBefore) {
    }

    /**
     * The certificates of {@code kind} issued between {@code from} and {@code to} (while a key was
     * active) that are still valid at {@code now} and not revoked.
     */
    public synchronized Outstanding outstanding(String kind, Instant from, Instant to, Instant now) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT COUNT(*), MAX(c.valid_before) FROM certificates c
                WHERE c.kind = ? AND c.issued_at >= ? AND c.issued_at < ? AND c.valid_before > ?
                  AND NOT EXISTS (SELECT 1 FROM revocations r
                                  WHERE r.serial = c.serial OR r.key_id = c.key_id OR r.key_fingerprint = c.key_fingerprint)""")) {
            select.setString(1, kind);
            select.setLong(2, from.toEpochMilli());
            select.setLong(3, to.toEpochMilli());
            select.setLong(4, now.getEpochSecond());
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                long count = rs.getLong(1);
                return new Outstanding(count, count == 0 ? null : Instant.ofEpochSecond(rs.getLong(2)));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the certificates of " + kind, e);
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // closing: nothing left to do
        }
    }
}
