package dev.writ.ca.host;

import dev.writ.ca.CaServer;
import dev.writ.ca.Main;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/**
 * A real CA on loopback that trusts two issuers of one {@link TestIdp}: the company's identity
 * provider (people, audience {@code writ}) and a CI platform (workload tokens, audience
 * {@value #CI_AUDIENCE}), as a deployment with GitLab CI would. Sends requests with any
 * {@code Authorization} header.
 */
public final class HostTestCa implements AutoCloseable {

    public static final String CI_ISSUER_ID = "ci";
    public static final String CI_AUDIENCE = "https://ca.example.com";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Path dir;
    private final TestIdp idp;
    private final CaServer server;

    private HostTestCa(Path dir, TestIdp idp, CaServer server) {
        this.dir = dir;
        this.idp = idp;
        this.server = server;
    }

    /** Starts a CA with {@code policyYaml} as its only policy file; data stays in {@code dir} across restarts. */
    public static HostTestCa start(Path dir, TestIdp idp, String policyYaml, Clock clock) throws Exception {
        return start(dir, idp, policyYaml, clock, "");
    }

    /** As above, with {@code extraConfig} (top-level keys, such as {@code direct_access:}) appended to the CA's config. */
    public static HostTestCa start(Path dir, TestIdp idp, String policyYaml, Clock clock, String extraConfig) throws Exception {
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), policyYaml);
        Path configFile = dir.resolve("ca.yaml");
        Files.writeString(configFile, """
                listen: 127.0.0.1:0
                store: sqlite:./data/writ.db
                keys: ./data/keys
                policies: ./policies
                issuers:
                  - url: %s
                    audience: writ
                  - url: %s
                    audience: %s
                """.formatted(idp.issuerUrl(), ciIssuer(idp), CI_AUDIENCE) + extraConfig);
        return new HostTestCa(dir, idp, Main.start(ConfigLoader.load(configFile), clock));
    }

    public static String ciIssuer(TestIdp idp) {
        return idp.issuerUrl(CI_ISSUER_ID);
    }

    /** A GitLab-CI-style ID token of a pipeline of {@code projectPath} on a protected {@code ref}. */
    public String ciToken(String projectPath, String ref) {
        return ciToken("project_path:" + projectPath + ":ref_type:branch:ref:" + ref,
                Map.of("project_path", projectPath, "ref", ref, "ref_type", "branch", "ref_protected", "true"));
    }

    public String ciToken(String subject, Map<String, Object> claims) {
        return idp.server().issueToken(CI_ISSUER_ID, subject, new DefaultOAuth2TokenCallback(CI_ISSUER_ID, subject, "JWT",
                List.of(CI_AUDIENCE), claims, 3600)).serialize();
    }

    /** A person's ID token from the company's identity provider. */
    public String personToken(String email, List<String> groups) {
        return idp.idToken(email, groups);
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public Path keys() {
        return dir.resolve("data/keys");
    }

    /** A JDBC connection to the CA's database, for checking (and, in tests of revocation, changing) what it stored. */
    public Connection sql() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/writ.db"));
    }

    public long count(String sql) throws Exception {
        try (Connection c = sql(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void execute(String sql) throws Exception {
        try (Connection c = sql(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs JSON with {@code authorization} (e.g. "Bearer ..." or "JoinToken ...") as the Authorization header, if not null. */
    public HttpResponse<String> post(String path, String authorization, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.close();
    }
}
