package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the CA revoked (the {@code revocations} table of V3): certificates by serial or key id,
 * keys by fingerprint, one row each. Rows are only ever added, by the store's one writer (on
 * PostgreSQL, the writer holding the writers' lock), in the transaction of their audit event;
 * revoking what is revoked already adds nothing. Each row's id is one more than the largest, taken
 * in that transaction, so the largest id, the KRL's version, grows in commit order and a KRL of
 * version N holds every revocation committed up to N ({@code session.Revocations} builds the KRL from these rows).
 * Also the questions a revocation asks first: which certificates it covers.
 */
public final class RevocationTable {

    /** What is revoked: exactly one of a certificate serial, a certificate key id, a key's {@code SHA256:} fingerprint. */
    public record Entry(Long serial, String keyId, String keyFingerprint) {
        public Entry {
            int given = (serial == null ? 0 : 1) + (keyId == null ? 0 : 1) + (keyFingerprint == null ? 0 : 1);
            if (given != 1) {
                throw new IllegalArgumentException("a revocation names exactly one of serial, key id, key fingerprint");
            }
        }

        public static Entry serial(long serial) {
            return new Entry(serial, null, null);
        }

        public static Entry keyId(String keyId) {
            return new Entry(null, keyId, null);
        }

        public static Entry keyFingerprint(String fingerprint) {
            return new Entry(null, null, fingerprint);
        }
    }

    /**
     * What a revocation changed.
     *
     * @param added   the entries the table did not have
     * @param already the entries it had
     * @param version the KRL's version once committed
     */
    public record Revoked(List<Entry> added, List<Entry> already, long version) {
        public Revoked {
            added = List.copyOf(added);
            already = List.copyOf(already);
        }
    }

    /** The audit events of a revocation, made once its outcome is known. */
    public interface Events {
        List<AuditEvent> of(Revoked revoked);
    }

    /** How certificates are looked up: a column of {@code certificates}. */
    public enum By {
        SERIAL("serial"), KEY_ID("key_id"), KEY_FINGERPRINT("key_fingerprint"), IDENTITY("identity");

        private final String column;

        By(String column) {
            this.column = column;
        }
    }

    private final Store store;
    private final Connection read;

    RevocationTable(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    /** Adds the entries not yet revoked, with the audit events, in one transaction. */
    public Revoked revoke(List<Entry> entries, String reason, String revokedBy, Instant at, Events events)
            throws StoreException {
        return store.write(c -> {
            List<Entry> added = new ArrayList<>();
            List<Entry> already = new ArrayList<>();
            for (Entry entry : entries) {
                if (contains(c, entry) || added.contains(entry)) {
                    already.add(entry);
                } else {
                    insert(c, entry, reason, revokedBy, at);
                    added.add(entry);
                }
            }
            Revoked revoked = new Revoked(added, already, version(c));
            for (AuditEvent event : events.of(revoked)) {
                store.append(event);
            }
            return revoked;
        });
    }

    /** Whether a certificate with this serial or key id, or this key, is revoked. */
    public boolean isRevoked(long serial, String keyId, String keyFingerprint) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement(
                    "SELECT 1 FROM revocations WHERE serial = ? OR key_id = ? OR key_fingerprint = ? LIMIT 1")) {
                select.setLong(1, serial);
                select.setString(2, keyId);
                select.setString(3, keyFingerprint);
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next();
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read revocations", e);
            }
        }
    }

    /** The KRL's version: the largest row id, 0 when nothing was ever revoked. */
    public long version() throws StoreException {
        synchronized (store) {
            try {
                return version(read);
            } catch (SQLException e) {
                throw new StoreException("cannot read revocations", e);
            }
        }
    }

    /**
     * The certificates the CA issued whose {@code by} is {@code value}, newest first, at most
     * {@code limit}; with {@code validAt}, only those not expired then.
     */
    public List<IssuedCertificate> certificates(By by, Object value, Instant validAt, int limit) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement("SELECT * FROM certificates WHERE " + by.column
                    + " = ? AND valid_before > ? ORDER BY issued_at DESC, serial LIMIT ?")) {
                select.setObject(1, value);
                select.setLong(2, validAt == null ? Long.MIN_VALUE : validAt.getEpochSecond());
                select.setInt(3, limit);
                List<IssuedCertificate> out = new ArrayList<>();
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        out.add(Store.issued(rs));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw new StoreException("cannot read certificates", e);
            }
        }
    }

    private static boolean contains(Connection c, Entry entry) throws SQLException {
        String column = entry.serial() != null ? "serial" : entry.keyId() != null ? "key_id" : "key_fingerprint";
        try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM revocations WHERE " + column + " = ? LIMIT 1")) {
            select.setObject(1, value(entry));
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void insert(Connection c, Entry entry, String reason, String revokedBy, Instant at) throws SQLException {
        // the id (the KRL's version) is taken in the writer's transaction: ids grow in commit order
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO revocations (id, serial, key_id, key_fingerprint,"
                + " reason, revoked_by, revoked_at) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM revocations),"
                + " ?, ?, ?, ?, ?, ?)")) {
            if (entry.serial() == null) {
                insert.setNull(1, java.sql.Types.BIGINT);
            } else {
                insert.setLong(1, entry.serial());
            }
            insert.setString(2, entry.keyId());
            insert.setString(3, entry.keyFingerprint());
            insert.setString(4, reason);
            insert.setString(5, revokedBy);
            insert.setLong(6, at.toEpochMilli());
            insert.executeUpdate();
        }
    }

    private static long version(Connection c) throws SQLException {
        try (PreparedStatement max = c.prepareStatement("SELECT coalesce(max(id), 0) FROM revocations");
             ResultSet rs = max.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static Object value(Entry entry) {
        return entry.serial() != null ? entry.serial() : entry.keyId() != null ? entry.keyId() : entry.keyFingerprint();
    }
}
