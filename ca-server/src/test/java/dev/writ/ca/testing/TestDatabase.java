package dev.writ.ca.testing;

import dev.writ.ca.store.Dialect;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;

/**
 * An empty database for one test, of either kind the store runs on: a SQLite file in the test's
 * directory, or a database of its own on the {@link TestPostgres} cluster (dropped at close).
 * Store tests take the kind as a parameter ({@code @ParameterizedClass @EnumSource(Kind.class)}),
 * so that one suite runs against both.
 */
public final class TestDatabase implements AutoCloseable {

    public enum Kind {
        SQLITE, POSTGRESQL;

        /** A database with the store's schema (on PostgreSQL, a copy of one migrated once per JVM). */
        public TestDatabase create(Path dir) {
            return this == SQLITE ? new TestDatabase(this, dir.resolve("writ.db"), null)
                    : new TestDatabase(this, null, TestPostgres.cluster().createDatabase(migratedTemplate()));
        }

        /** A database without any schema: for tests of the migrations themselves. */
        public TestDatabase createEmpty(Path dir) {
            return this == SQLITE ? new TestDatabase(this, dir.resolve("writ.db"), null)
                    : new TestDatabase(this, null, TestPostgres.cluster().createDatabase());
        }
    }

    private static String template;

    /** The name of a PostgreSQL database that the store migrated, copied for each test rather than migrated again. */
    private static synchronized String migratedTemplate() {
        if (template == null) {
            TestPostgres.Database migrated = TestPostgres.cluster().createDatabase();
            try {
                Store.openPostgresql(migrated.location(), migrated.password(), nanos -> { }).close();
            } catch (StoreException e) {
                throw new IllegalStateException("cannot migrate the template database: " + e.getMessage(), e);
            }
            template = migrated.location().database();
        }
        return template;
    }

    private final Kind kind;
    private final Path file;
    private final TestPostgres.Database postgres;

    private TestDatabase(Kind kind, Path file, TestPostgres.Database postgres) {
        this.kind = kind;
        this.file = file;
        this.postgres = postgres;
    }

    public Kind kind() {
        return kind;
    }

    public Dialect dialect() {
        return kind == Kind.SQLITE ? Dialect.SQLITE : Dialect.POSTGRESQL;
    }

    /** Opens (migrating at first) a store on this database; several may be open at once on PostgreSQL. */
    public Store open() throws StoreException {
        return open(nanos -> { });
    }

    public Store open(Consumer<Long> commitNanos) throws StoreException {
        return kind == Kind.SQLITE ? Store.openSqlite(file, commitNanos)
                : Store.openPostgresql(postgres.location(), postgres.password(), commitNanos);
    }

    /** What the CA config's {@code store} says for this database. */
    public String storeUrl() {
        return kind == Kind.SQLITE ? "sqlite:" + file : postgres.location().toString();
    }

    /** The password of a PostgreSQL database (null for SQLite). */
    public String password() {
        return postgres == null ? null : postgres.password();
    }

    /** A connection with every right (PostgreSQL: a superuser's), for tests that tamper with the store. */
    public Connection connect() throws SQLException {
        return kind == Kind.SQLITE ? DriverManager.getConnection("jdbc:sqlite:" + file)
                : TestPostgres.cluster().admin(postgres.location().database());
    }

    /** The first number of a query's first row, e.g. a count. */
    public long count(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs the schema's migrations up to {@code version} only. */
    public void migrateTo(String version) {
        var flyway = Flyway.configure().locations(dialect().migrationLocations().toArray(String[]::new))
                .failOnMissingLocations(false).target(version);
        if (kind == Kind.SQLITE) {
            flyway.dataSource("jdbc:sqlite:" + file, null, null);
        } else {
            flyway.dataSource(postgres.location().jdbcUrl(), postgres.location().user(), postgres.password());
        }
        flyway.load().migrate();
    }

    /** Takes away the triggers that keep the audit log append-only, as someone with the database's file or superuser would. */
    public void dropAuditGuards(Statement s) throws SQLException {
        if (kind == Kind.SQLITE) {
            s.executeUpdate("DROP TRIGGER audit_events_append_only_update");
            s.executeUpdate("DROP TRIGGER audit_events_append_only_delete");
        } else {
            s.executeUpdate("ALTER TABLE audit_events DISABLE TRIGGER USER");
        }
    }

    /** Whether the schema has a table of this name. */
    public boolean hasTable(String name) throws SQLException {
        return count(kind == Kind.SQLITE
                ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'"
                : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '" + name + "'") > 0;
    }

    @Override
    public void close() {
        if (postgres != null) {
            TestPostgres.cluster().dropDatabase(postgres);
        }
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase();
    }
}
