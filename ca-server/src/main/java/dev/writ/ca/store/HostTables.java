package dev.writ.ca.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The SQL of host certificates and join tokens (migration V2), for {@link Store}. */
final class HostTables {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HostTables() {
    }

    static void insertJoinToken(Connection connection, JoinToken token) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO join_tokens (hash, hostnames, created_by, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?)""")) {
            insert.setString(1, token.hash());
            insert.setString(2, json(token.hostnames()));
            insert.setString(3, token.createdBy());
            insert.setLong(4, token.createdAt().toEpochMilli());
            insert.setLong(5, token.expiresAt().toEpochMilli());
            insert.executeUpdate();
        }
    }

    /**
     * Spends the token on {@code serial}: one conditional UPDATE, so that of two requests racing
     * for one token exactly one finds it unspent.
     */
    static void spendJoinToken(Connection connection, String hash, long serial, Instant now)
            throws SQLException, JoinTokenSpentException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE join_tokens SET used_at = ?, used_serial = ?
                WHERE hash = ? AND used_at IS NULL AND expires_at > ?""")) {
            update.setLong(1, now.toEpochMilli());
            update.setLong(2, serial);
            update.setString(3, hash);
            update.setLong(4, now.toEpochMilli());
            if (update.executeUpdate() != 1) {
                throw new JoinTokenSpentException();
            }
        }
    }

    static void insertHostCertificate(Connection connection, long serial, HostProvenance provenance) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO host_certificates (serial, rule, via, join_token, renewed_from) VALUES (?, ?, ?, ?, ?)""")) {
            insert.setLong(1, serial);
            insert.setString(2, provenance.rule());
            insert.setString(3, provenance.via().name());
            insert.setString(4, provenance.joinToken());
            if (provenance.renewedFrom() == null) {
                insert.setNull(5, Types.INTEGER);
            } else {
                insert.setLong(5, provenance.renewedFrom());
            }
            insert.executeUpdate();
        }
    }

    static Optional<JoinToken> joinToken(Connection connection, String hash) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT * FROM join_tokens WHERE hash = ?")) {
            select.setString(1, hash);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long usedAt = rs.getLong("used_at");
                Instant used = rs.wasNull() ? null : Instant.ofEpochMilli(usedAt);
                long usedSerial = rs.getLong("used_serial");
                Long serial = rs.wasNull() ? null : usedSerial;
                return Optional.of(new JoinToken(rs.getString("hash"),
                        List.of(JSON.readValue(rs.getString("hostnames"), String[].class)), rs.getString("created_by"),
                        Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("expires_at")),
                        used, serial));
            } catch (JsonProcessingException e) {
                throw new SQLException("join token " + hash.substring(0, 12) + " has unreadable hostnames", e);
            }
        }
    }

    static Optional<HostProvenance> hostProvenance(Connection connection, long serial) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT * FROM host_certificates WHERE serial = ?")) {
            select.setLong(1, serial);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long renewedFrom = rs.getLong("renewed_from");
                Long renewed = rs.wasNull() ? null : renewedFrom;
                return Optional.of(new HostProvenance(rs.getString("rule"), HostProvenance.Via.valueOf(rs.getString("via")),
                        rs.getString("join_token"), renewed));
            }
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serializable to JSON", e);
        }
    }
}
