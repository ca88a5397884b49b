package dev.writ.ca.session;

import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.krl.Krl;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The revocations table (migration V3), read-only: is a certificate revoked, and the KRL that
 * {@code GET /v1/krl} serves. Revocations are written by the store's writer
 * ({@code store.RevocationTable}: {@code POST /v1/revocations}, and grants that end); every row
 * is picked up by the next KRL and the next session check.
 */
public final class Revocations implements AutoCloseable {

    /** How long issuance trusts the KRL it read last (revocations by key id or key are rare). */
    static final long RECENT_NANOS = 200_000_000L;

    private final Connection connection;
    private final CaKeyRing keys;
    private long cachedVersion = -1;
    private List<PublicKey> cachedKeys = List.of();
    private Krl cached;
    private Krl recent;
    private long recentAt;

    private Revocations(Connection connection, CaKeyRing keys) {
        this.connection = connection;
        this.keys = keys;
    }

    /** Reads on a read-only connection of its own to the store's database (the store created and migrated it). */
    public static Revocations open(Store store, CaKeyRing keys) throws StoreException {
        return new Revocations(store.openReadOnly(), keys);
    }

    /** Whether the certificate with this serial, key id or key fingerprint was revoked. */
    public synchronized boolean isRevoked(long serial, String keyId, String fingerprint) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM revocations WHERE serial = ? OR key_id = ? OR key_fingerprint = ? LIMIT 1")) {
            select.setLong(1, serial);
            select.setString(2, keyId);
            select.setString(3, fingerprint);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read revocations", e);
        }
    }

    /**
     * Whether a certificate with this key id, or for this key, would be revoked the moment it
     * was issued: the CA refuses to issue it. Reads the KRL at most every {@link #RECENT_NANOS}.
     */
    public boolean revokesNewCertificate(String keyId, PublicKey key) throws StoreException {
        Krl current = recentKrl();
        return current.revokesKey(key) || current.certificates().stream().anyMatch(section -> section.keyIds().contains(keyId));
    }

    private synchronized Krl recentKrl() throws StoreException {
        if (recent == null || System.nanoTime() - recentAt > RECENT_NANOS) {
            recent = krl();
            recentAt = System.nanoTime();
        }
        return recent;
    }

    /**
     * The KRL of everything revoked, regenerated when the table changed. Serials and key ids are
     * listed under every trusted CA key (user and host): serials are unique across both.
     */
    public synchronized Krl krl() throws StoreException {
        try {
            long version;
            try (PreparedStatement max = connection.prepareStatement("SELECT coalesce(max(id), 0) FROM revocations");
                 ResultSet rs = max.executeQuery()) {
                version = rs.next() ? rs.getLong(1) : 0;
            }
            List<PublicKey> trusted = keys.allTrusted().toList(); // a rotation adds or retires CA keys
            if (cached == null || version != cachedVersion || !trusted.equals(cachedKeys)) {
                cached = build(version);
                cachedVersion = version;
                cachedKeys = trusted;
            }
            return cached;
        } catch (SQLException e) {
            throw new StoreException("cannot read revocations", e);
        }
    }

    /**
     * The KRL of revocations 1 to {@code version}, a function of those rows alone: its date is the
     * newest one's, so that every replica serves the same bytes for the same version.
     */
    private Krl build(long version) throws SQLException {
        Set<Long> serials = new HashSet<>();
        Set<String> keyIds = new TreeSet<>();
        Set<String> fingerprints = new TreeSet<>();
        long newest = 0;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT serial, key_id, key_fingerprint, revoked_at FROM revocations WHERE id <= ?")) {
            select.setLong(1, version);
            ResultSet rs = select.executeQuery();
            while (rs.next()) {
                newest = Math.max(newest, rs.getLong(4));
                long serial = rs.getLong(1);
                if (!rs.wasNull() && serial != 0) {
                    serials.add(serial);
                }
                if (rs.getString(2) != null) {
                    keyIds.add(rs.getString(2));
                }
                if (rs.getString(3) != null) {
                    fingerprints.add(rs.getString(3));
                }
            }
        }
        List<Krl.CertificateRevocations> sections = new ArrayList<>();
        if (!serials.isEmpty() || !keyIds.isEmpty()) {
            keys.allTrusted().forEach((PublicKey ca) ->
                    sections.add(new Krl.CertificateRevocations(ca, new TreeSet<>(serials), new TreeSet<>(keyIds))));
        }
        return new Krl(version, Instant.ofEpochMilli(newest), "writ CA revocations", sections, fingerprints);
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing: nothing left to protect
        }
    }
}
