package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The SQL of the ids of bastions' audit events (migration V7), for {@link Store}: each id is stored once. */
final class BastionAuditIds {

    private BastionAuditIds() {
    }

    static boolean known(Connection connection, BastionEventId id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT 1 FROM bastion_audit_ids WHERE bastion = ? AND stream = ? AND bastion_seq = ?""")) {
            select.setString(1, id.bastion());
            select.setString(2, id.stream());
            select.setLong(3, id.seq());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        }
    }

    static void insert(Connection connection, BastionEventId id, long auditSeq) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO bastion_audit_ids (bastion, stream, bastion_seq, audit_seq) VALUES (?, ?, ?, ?)""")) {
            insert.setString(1, id.bastion());
            insert.setString(2, id.stream());
            insert.setLong(3, id.seq());
            insert.setLong(4, auditSeq);
            insert.executeUpdate();
        }
    }
}
