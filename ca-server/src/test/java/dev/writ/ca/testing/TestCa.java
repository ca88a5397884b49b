package dev.writ.ca.testing;

import dev.writ.ca.CaServer;
import dev.writ.ca.Main;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;

/** A real CA started in-process on a loopback port, with its config, policy and SQLite file in a temp dir. */
public final class TestCa implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Path dir;
    private final CaServer server;

    private TestCa(Path dir, CaServer server) {
        this.dir = dir;
        this.server = server;
    }

    /**
     * The config line that adds the user CA to what targets trust ({@code GET /v1/ca/user.pub}), for
     * tests whose sshd stands for a host reached without the bastion.
     */
    public static final String DIRECT_ACCESS = "direct_access: true\n";

    /**
     * The config lines that turn the issuance and access-request rate limits off, for benchmarks
     * that ask for thousands of certificates as a few engineers from one address.
     */
    public static final String NO_RATE_LIMITS = """
            rate_limits:
              issuance:
                per_identity: { requests: 0, per: 1m }
                per_address: { requests: 0, per: 1m }
              access_requests:
                per_identity: { requests: 0, per: 1m }
                per_address: { requests: 0, per: 1m }
            """;

    /** Starts a CA trusting {@code issuerUrl} (audience {@code writ}) with {@code policyYaml} as its only policy file. */
    public static TestCa start(Path dir, String issuerUrl, String policyYaml) throws Exception {
        return start(dir, issuerUrl, policyYaml, Clock.systemUTC());
    }

    public static TestCa start(Path dir, String issuerUrl, String policyYaml, Clock clock) throws Exception {
        return start(dir, java.util.List.of(issuerUrl), policyYaml, clock);
    }

    /** Starts a CA trusting every issuer in {@code issuerUrls}, each with audience {@code writ}. */
    public static TestCa start(Path dir, java.util.List<String> issuerUrls, String policyYaml, Clock clock) throws Exception {
        return start(dir, issuerUrls, policyYaml, clock, "", GrantEndedListener.NONE);
    }

    /**
     * Starts a CA with {@code extraConfig} appended to its config file (top-level keys such as
     * {@code webhooks:}) and {@code grantEnded} told when access grants end (after their
     * certificates are revoked).
     */
    public static TestCa start(Path dir, String issuerUrl, String policyYaml, Clock clock, String extraConfig,
                               GrantEndedListener grantEnded) throws Exception {
        return start(dir, java.util.List.of(issuerUrl), policyYaml, clock, extraConfig, grantEnded);
    }

    /** As above, with {@code extraConfigYaml} (top-level keys, such as {@code bastions:}) appended to the CA's config. */
    public static TestCa start(Path dir, String issuerUrl, String policyYaml, Clock clock, String extraConfigYaml)
            throws Exception {
        return start(dir, java.util.List.of(issuerUrl), policyYaml, clock, extraConfigYaml, GrantEndedListener.NONE);
    }

    private static TestCa start(Path dir, java.util.List<String> issuerUrls, String policyYaml, Clock clock,
                                String extraConfig, GrantEndedListener grantEnded) throws Exception {
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), policyYaml);
        Path configFile = dir.resolve("ca.yaml");
        Files.writeString(configFile, """
                listen: 127.0.0.1:0
                store: sqlite:./data/writ.db
                keys: ./data/keys
                policies: ./policies
                issuers:
                %s""".formatted(issuerUrls.stream().map(url -> "  - url: " + url + "\n    audience: writ\n")
                .collect(java.util.stream.Collectors.joining())) + extraConfig);
        CaConfig config = ConfigLoader.load(configFile);
        return new TestCa(dir, Main.start(config, clock, grantEnded));
    }

    /**
     * Starts a CA as {@link #start(Path, String, String, Clock, String)} does, but on {@code database}
     * (e.g. a PostgreSQL database of the test cluster, its password in a 0600 file beside the config).
     */
    public static TestCa startOn(TestDatabase database, Path dir, String issuerUrl, String policyYaml, Clock clock,
                                 String extraConfig, GrantEndedListener grantEnded) throws Exception {
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), policyYaml);
        String passwordLine = "";
        if (database.password() != null) {
            Path password = dir.resolve("store-password");
            Files.writeString(password, database.password() + "\n");
            Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            passwordLine = "store_password_file: ./store-password\n";
        }
        Path configFile = dir.resolve("ca.yaml");
        Files.writeString(configFile, """
                listen: 127.0.0.1:0
                store: %s
                %skeys: ./data/keys
                policies: ./policies
                recordings: ./data/recordings
                issuers:
                  - url: %s
                    audience: writ
                """.formatted(database.storeUrl(), passwordLine, issuerUrl) + extraConfig);
        return new TestCa(dir, Main.start(ConfigLoader.load(configFile), clock, grantEnded));
    }

    /**
     * Starts a CA again on the directory a stopped one left (its config, database and keys), on
     * {@code port}: a restart, for bastions and clients that keep the CA's URL.
     */
    public static TestCa restart(Path dir, int port, Clock clock) throws Exception {
        Path configFile = dir.resolve("ca.yaml");
        Files.writeString(configFile, Files.readString(configFile).replaceFirst("(?m)^listen: .*$", "listen: 127.0.0.1:" + port));
        return new TestCa(dir, Main.start(ConfigLoader.load(configFile), clock, GrantEndedListener.NONE));
    }

    /**
     * Starts another replica of the CA that {@code dir} holds: the same config, database and keys,
     * on a port of its own, as a second CA process on a shared database would.
     */
    public static TestCa replica(Path dir, Clock clock) throws Exception {
        Path configFile = dir.resolve("ca.yaml");
        Path replicaFile = Files.createTempFile(dir, "ca-replica-", ".yaml");
        Files.writeString(replicaFile, Files.readString(configFile).replaceFirst("(?m)^listen: .*$", "listen: 127.0.0.1:0"));
        return new TestCa(dir, Main.start(ConfigLoader.load(replicaFile), clock, GrantEndedListener.NONE));
    }

    public int port() {
        return server.port();
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public Path database() {
        return dir.resolve("data/writ.db");
    }

    /** The CA's config file, for {@code writ-ca keys --config}. */
    public Path config() {
        return dir.resolve("ca.yaml");
    }

    public Path keys() {
        return dir.resolve("data/keys");
    }

    /** A JDBC connection to the CA's database, for checking what it stored. */
    public Connection sql() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + database());
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String bearer) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).GET(), bearer);
    }

    public HttpResponse<String> delete(String path, String bearer) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).DELETE(), bearer);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request, String bearer) throws Exception {
        request.timeout(Duration.ofSeconds(10));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String bearer, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.close();
    }
}
