package dev.writ.ca.testing;

import dev.writ.ca.store.PostgresLocation;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A private PostgreSQL cluster for the tests of this JVM, from Debian's {@code postgresql} package
 * ({@code ./dev}'s {@code install_test_tools} installs it): started at first use by {@code initdb}
 * and {@code pg_ctl} in a fresh temporary directory, on a free loopback port with its socket in
 * that directory, and stopped ({@code pg_ctl stop -m immediate}) and removed when the JVM exits.
 * initdb refuses root, so as root the cluster runs as the system user {@value #USER} (created
 * when missing); otherwise as the current user. Each test gets a database of its own, owned by
 * a login role without superuser rights, the way a CA would connect in production.
 */
public final class TestPostgres {

    /** The system user the cluster runs as when the tests run as root. */
    static final String USER = "writ-test";
    /**
     * Set this system property to {@code true} before the first use for a cluster that commits
     * durably (fsync, synchronous commit), as benchmarks need; tests run without, for speed.
     */
    public static final String DURABLE_PROPERTY = "writ.test-postgres.durable";
    /** The role the CA connects as (owner of every test database). */
    public static final String ROLE = "writ";

    private static TestPostgres cluster;

    private final Path dir;
    private final int port;
    private final String adminPassword;
    private final String rolePassword;
    private final AtomicInteger databases = new AtomicInteger();

    /** One database of the cluster, with the password of {@link #ROLE}. */
    public record Database(PostgresLocation location, String password) {
        @Override
        public String toString() {
            return location.toString();
        }
    }

    private TestPostgres(Path dir, int port, String adminPassword, String rolePassword) {
        this.dir = dir;
        this.port = port;
        this.adminPassword = adminPassword;
        this.rolePassword = rolePassword;
    }

    /** The cluster of this JVM, started at the first call. */
    public static synchronized TestPostgres cluster() {
        if (cluster == null) {
            try {
                cluster = start();
            } catch (IOException | InterruptedException | SQLException e) {
                throw new IllegalStateException("cannot start the test PostgreSQL cluster: " + e.getMessage(), e);
            }
        }
        return cluster;
    }

    /** A new, empty database owned by {@link #ROLE}. */
    public Database createDatabase() {
        return createDatabase("template1");
    }

    /**
     * A new database owned by {@link #ROLE}, a copy of {@code template} (a database nobody is
     * connected to: a connection closed just before may take a moment to end on the server).
     */
    public Database createDatabase(String template) {
        String name = "writ_test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Connection c = admin("postgres"); Statement s = c.createStatement()) {
                s.executeUpdate("CREATE DATABASE " + name + " OWNER " + ROLE + " TEMPLATE " + template
                        + " STRATEGY = FILE_COPY");
                return new Database(new PostgresLocation("127.0.0.1", port, name, ROLE), rolePassword);
            } catch (SQLException e) {
                boolean templateBusy = "55006".equals(e.getSQLState());
                if (!templateBusy || System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating database " + name, e);
            }
        }
    }

    /** Drops a database made by {@link #createDatabase}, disconnecting whoever still uses it. */
    public void dropDatabase(Database database) {
        try (Connection c = admin("postgres"); Statement s = c.createStatement()) {
            s.executeUpdate("DROP DATABASE IF EXISTS " + database.location().database() + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + database + ": " + e.getMessage(), e);
        }
    }

    /** A superuser connection to a database: for tests that tamper with what the store wrote. */
    public Connection admin(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("password", adminPassword);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
    }

    public int port() {
        return port;
    }

    private static TestPostgres start() throws IOException, InterruptedException, SQLException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            ensureSystemUser();
        }
        Path dir = Files.createTempDirectory("writ-pg-");
        String adminPassword = secret();
        Path passwordFile = dir.resolve("admin-password");
        Files.writeString(passwordFile, adminPassword);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        if (root) {
            check(Processes.run(List.of("chown", "-R", USER + ":", dir.toString())), "chown");
        }
        Path data = dir.resolve("data");
        check(Processes.run(asUser(root, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
                "--pwfile=" + passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync"), 120), "initdb");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(bin, root, dir), "writ-test-postgres-stop"));
        int port = 0;
        Processes.Result started = null;
        String durability = Boolean.getBoolean(DURABLE_PROPERTY) ? ""
                : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        for (int attempt = 0; attempt < 3; attempt++) { // a port found free may be taken before the server binds it
            port = freePort();
            started = Processes.run(asUser(root, bin.resolve("pg_ctl").toString(), "-D", data.toString(),
                    "-l", dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
                    "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir
                            + durability + " -c shared_buffers=32MB -c max_connections=400", "start"), 90);
            if (started.exitCode() == 0) {
                break;
            }
        }
        check(started, "pg_ctl start (log: " + dir.resolve("postgres.log") + ")");
        String rolePassword = secret();
        TestPostgres postgres = new TestPostgres(dir, port, adminPassword, rolePassword);
        try (Connection c = postgres.admin("postgres"); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + rolePassword + "'");
        }
        return postgres;
    }

    private static void stop(Path bin, boolean root, Path dir) {
        try {
            Processes.run(asUser(root, bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                    "-m", "immediate", "-w", "stop"), 30);
        } catch (IOException | InterruptedException e) {
            System.err.println("test PostgreSQL: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("test PostgreSQL: cannot remove " + dir + ": " + e.getMessage());
        }
    }

    /** The newest {@code /usr/lib/postgresql/N/bin} with initdb. */
    private static Path binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                List<Path> found = versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                        .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .sorted(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
                        .toList();
                if (!found.isEmpty()) {
                    return found.get(found.size() - 1).resolve("bin");
                }
            }
        }
        throw new IOException("no /usr/lib/postgresql/*/bin/initdb: install Debian's postgresql package"
                + " (./dev test does)");
    }

    private static void ensureSystemUser() throws IOException, InterruptedException {
        if (Processes.run(List.of("id", "-u", USER)).exitCode() == 0) {
            return;
        }
        Processes.Result added = Processes.run(List.of("useradd", "--system", "--no-create-home",
                "--shell", "/usr/sbin/nologin", USER));
        // another test JVM may have added it meanwhile
        if (added.exitCode() != 0 && Processes.run(List.of("id", "-u", USER)).exitCode() != 0) {
            throw new IOException("cannot add the system user " + USER + ": " + added.output().strip());
        }
    }

    private static List<String> asUser(boolean root, String... command) {
        List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(List.of(command));
        return full;
    }

    private static void check(Processes.Result result, String what) throws IOException {
        if (result.exitCode() != 0) {
            throw new IOException(what + " failed (exit " + result.exitCode() + "): " + result.output().strip());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String secret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
