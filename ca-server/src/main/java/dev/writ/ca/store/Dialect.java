package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What differs between the store's two databases; the rest of its SQL runs on both. SQLite is the
 * embedded store of one CA process; PostgreSQL is shared by several CA replicas, whose writers
 * take one lock per transaction so that every write of every replica still runs as if the store
 * had one writer.
 */
public enum Dialect {

    SQLITE("classpath:db/migration/sqlite"),
    POSTGRESQL("classpath:db/migration/postgresql");

    /** The key of the advisory lock that PostgreSQL writers hold for their whole transaction. */
    static final long WRITERS_LOCK = 0x7772697473746f72L; // "writstor"

    private final String migrations;

    Dialect(String migrations) {
        this.migrations = migrations;
    }

    /** Flyway's locations: the portable migrations and this database's own, one history. */
    public List<String> migrationLocations() {
        return List.of("classpath:db/migration/common", migrations);
    }

    /**
     * Called first in every write transaction. On PostgreSQL it waits for the writers' lock, held
     * until this transaction commits or rolls back: the writes of all replicas are one sequence,
     * and whatever a write reads (the audit chain's head, a request's state, the KRL's version)
     * is what the previous write committed. On SQLite it takes the file's write lock at once.
     */
    public void lockWriters(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            if (this == POSTGRESQL) {
                s.execute("SELECT pg_advisory_xact_lock(" + WRITERS_LOCK + ")");
            } else {
                // a write that changes nothing: SQLite takes the write lock now, waiting its busy timeout
                // while another process on the file holds it, rather than refusing a transaction that
                // read first and then writes (several CA processes on one file)
                s.executeUpdate("UPDATE audit_head SET seq = seq WHERE 1 = 0");
            }
        }
    }

    /** LIKE that ignores the case of ASCII letters, as SQLite's LIKE does. */
    String like() {
        return this == SQLITE ? "LIKE" : "ILIKE";
    }

    /** The condition that a recording's line ({@code recording_text}) contains the bound pattern. */
    String textMatch() {
        return this == SQLITE ? "recording_text MATCH ?" : "recording_text.text ILIKE ? ESCAPE '\\'";
    }

    /**
     * The pattern bound to {@link #textMatch()} for a case-insensitive substring: an FTS5 phrase
     * (the trigram tokenizer makes it a substring match), or ILIKE's {@code %text%}.
     */
    String textPattern(String text) {
        return this == SQLITE
                ? "\"" + text.replace("\"", "\"\"") + "\""
                : "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }
}
