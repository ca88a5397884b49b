package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.CaServer;
import dev.writ.ca.Main;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.store.Store;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestDatabase;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CAs started from their config files on one PostgreSQL database (password in a 0600 file),
 * sharing their keys and policy, issuing over HTTP at once: every certificate either answered has
 * its row and its audit event, and the one audit chain verifies.
 */
class ReplicaIssuanceApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { email: ["*@example.com"] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
            """;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    TestDatabase db;
    TestIdp idp;
    final List<CaServer> replicas = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        db = TestDatabase.Kind.POSTGRESQL.createEmpty(dir);
        idp = new TestIdp();
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), POLICY);
        Path password = Files.writeString(dir.resolve("store-password"), db.password() + "\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        for (int i = 1; i <= 2; i++) {
            Path config = Files.writeString(dir.resolve("ca-" + i + ".yaml"), """
                    listen: 127.0.0.1:0
                    store: %s
                    store_password_file: ./store-password
                    keys: ./keys
                    policies: ./policies
                    recordings: ./recordings
                    issuers:
                      - url: %s
                        audience: writ
                    """.formatted(db.storeUrl(), idp.issuerUrl()) + TestCa.NO_RATE_LIMITS);
            replicas.add(Main.start(ConfigLoader.load(config), Clock.systemUTC()));
        }
    }

    @AfterEach
    void stop() {
        replicas.forEach(CaServer::close);
        if (idp != null) {
            idp.close();
        }
        db.close();
    }

    HttpResponse<String> issue(CaServer replica, String token) throws Exception {
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.port() + "/v1/certs/user"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"public_key\":" + JSON.writeValueAsString(key) + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void bothReplicasIssueIntoOneStoreAndOneAuditChain() throws Exception {
        String token = idp.idToken("alice@example.com", List.of("engineering"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Set<String> serials = new HashSet<>();
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                CaServer replica = replicas.get(i % 2);
                answers.add(pool.submit(() -> issue(replica, token)));
            }
            for (Future<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get(120, TimeUnit.SECONDS);
                assertEquals(201, response.statusCode(), response.body());
                serials.add(JSON.readTree(response.body()).get("serial").asText());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(120, serials.size());
        assertEquals(120, db.count("SELECT COUNT(*) FROM certificates"));
        assertEquals(120, db.count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"));
        for (CaServer replica : replicas) {
            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + replica.port() + "/readyz")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
        }
        try (Store store = db.open()) {
            var verification = store.verifyAudit();
            assertTrue(verification.ok(), String.valueOf(verification.problem()));
        }
    }
}
