package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;

/**
 * Inserts a row whose id is one more than the largest, computed in the inserting statement. Two
 * transactions of different processes may compute the same id; the second one's insert then waits
 * for the first to commit and fails on the primary key (PostgreSQL), and is tried again here,
 * inside a savepoint so that the rest of its transaction stands. An id is thus taken only once
 * every smaller one is committed: readers that ask for the ids above the last they saw miss none.
 */
final class NextIds {

    private static final int ATTEMPTS = 20;

    interface Insert<T> {
        T run() throws SQLException;
    }

    private NextIds() {
    }

    static <T> T insert(Connection connection, Insert<T> insert) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Savepoint savepoint = connection.setSavepoint();
            try {
                T result = insert.run();
                connection.releaseSavepoint(savepoint);
                return result;
            } catch (SQLException e) {
                connection.rollback(savepoint);
                if (attempt >= ATTEMPTS || !isDuplicateKey(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean isDuplicateKey(SQLException e) {
        String message = String.valueOf(e.getMessage());
        return "23505".equals(e.getSQLState()) || message.contains("UNIQUE") || message.contains("PRIMARYKEY");
    }
}
