package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UserCertificateApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { email: ["*@example.com"], groups: [engineering] }
                principals: ["{{email.local}}"]
                targets: [ { hosts: ["*.dev.example.com"] } ]
                ttl: 1h
                max_ttl: 8h
                extensions: [permit-pty]
              - name: sre
                match: { groups: [sre] }
                principals: ["{{email.local}}", ops]
                ttl: 2h
                max_ttl: 4h
                extensions: [permit-pty, permit-port-forwarding]
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    String aliceToken;
    String userKey;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir, idp.issuerUrl(), POLICY);
        aliceToken = idp.idToken("alice@example.com", List.of("engineering", "sre"));
        userKey = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    HttpResponse<String> request(String token, String body) throws Exception {
        return ca.post("/v1/certs/user", token, body);
    }

    static String body(String key, String extra) {
        return "{\"public_key\":" + quote(key) + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String keygenList(String certificateLine) throws Exception {
        Path file = Files.writeString(Files.createTempFile(dir, "cert", "-cert.pub"), certificateLine + "\n");
        Processes.Result result = Processes.run(List.of("ssh-keygen", "-L", "-f", file.toString()));
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Nested
    class Issuing {

        @Test
        void issuesACertificateWithTheProfileCheckedBySshKeygen() throws Exception {
            Instant before = Instant.now();
            HttpResponse<String> response = request(aliceToken, body(userKey, ""));
            assertEquals(201, response.statusCode(), response.body());
            JsonNode answer = JSON.readTree(response.body());
            assertEquals(List.of("alice", "ops"), List.of(answer.get("principals").get(0).asText(), answer.get("principals").get(1).asText()));

            String listing = keygenList(answer.get("certificate").asText());
            assertTrue(listing.contains("user certificate"), listing);
            assertTrue(listing.contains("Key ID: \"alice@example.com\""), listing);
            assertTrue(listing.contains("Serial: " + answer.get("serial").asText()), listing);
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+alice\\n\\s+ops\\n.*"), listing);
            assertTrue(listing.matches("(?s).*Extensions: \\n\\s+logins@writ[^\\n]*\\n\\s+permit-port-forwarding\\n\\s+permit-pty\\n\\s+roles@writ.*"),
                    listing);
            // one role decides each session at the bastion, so the certificate says which role gives which login
            var parsed = (org.apache.sshd.common.config.keys.OpenSshCertificate) dev.writ.protocol.ssh.PublicKeys.parse(
                    answer.get("certificate").asText());
            assertEquals("engineer=alice;sre=alice,ops", parsed.getExtensionsMap().get("logins@writ"));
            assertEquals("engineer,sre", parsed.getExtensionsMap().get("roles@writ"));
            // the shortest default TTL of the two roles (1h), backdated one minute
            Instant validBefore = Instant.parse(answer.get("valid_before").asText());
            long seconds = validBefore.getEpochSecond() - before.getEpochSecond();
            assertTrue(seconds >= 3599 && seconds <= 3605, "valid for " + seconds + " s");
            assertFalse(answer.get("serial").asText().equals("0"));
        }

        @Test
        void recordsTheCertificateAndItsAuditEventBeforeAnswering() throws Exception {
            HttpResponse<String> response = request(aliceToken, body(userKey, ""));
            assertEquals(201, response.statusCode(), response.body());
            String serial = JSON.readTree(response.body()).get("serial").asText();
            long signed = Long.parseUnsignedLong(serial);
            assertEquals(1, count("SELECT COUNT(*) FROM certificates WHERE serial = " + signed
                    + " AND identity = 'alice@example.com' AND client_address = '127.0.0.1'"));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued' AND details LIKE '%"
                    + serial + "%'"));
        }

        @Test
        void honoursARequestedTtlAndPrincipalSubset() throws Exception {
            HttpResponse<String> response = request(aliceToken, body(userKey, "\"ttl\":\"30m\",\"principals\":[\"ops\"]"));
            assertEquals(201, response.statusCode(), response.body());
            JsonNode answer = JSON.readTree(response.body());
            assertEquals(1, answer.get("principals").size());
            assertEquals("ops", answer.get("principals").get(0).asText());
            long seconds = Instant.parse(answer.get("valid_before").asText()).getEpochSecond() - Instant.now().getEpochSecond();
            assertTrue(seconds > 1700 && seconds <= 1800, "valid for " + seconds + " s");
        }

        @Test
        void acceptsRsaKeysOfAtLeast2048Bits() throws Exception {
            String rsa = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-rsa", 2048).getPublic());
            assertEquals(201, request(aliceToken, body(rsa, "")).statusCode());
        }
    }

    static Stream<Arguments> refusals() throws Exception {
        KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
        dsa.initialize(1024);
        KeyPair dsaKey = dsa.generateKeyPair();
        String rsa1024 = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-rsa", 1024).getPublic());
        String ed = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        return Stream.of(
                Arguments.of("fail/ttl-above-max", body(ed, "\"ttl\":\"5h\""), 400,
                        "requested ttl 5h exceeds the maximum of 4h for roles [engineer, sre]"),
                Arguments.of("fail/ttl-not-a-duration", body(ed, "\"ttl\":\"forever\""), 400,
                        "ttl 'forever' is not a positive duration such as 30m, 8h or 1h30m"),
                Arguments.of("fail/principal-outside-allowed", body(ed, "\"principals\":[\"root\",\"alice\",\"admin\"]"), 403,
                        "principals not allowed: root, admin (allowed: alice, ops)"),
                Arguments.of("fail/principals-empty", body(ed, "\"principals\":[]"), 400,
                        "principals must not be empty; leave it out to get all allowed"),
                Arguments.of("fail/garbage-key", body("not a key at all", ""), 400,
                        "public_key is not a valid OpenSSH public key"),
                Arguments.of("fail/dsa-key", body(PublicKeyEntry.toString(dsaKey.getPublic()), ""), 400,
                        "DSA keys are not supported; use Ed25519, ECDSA or RSA of at least 2048 bits"),
                Arguments.of("fail/rsa-1024", body(rsa1024, ""), 400, "RSA key has 1024 bits; at least 2048 are required"),
                Arguments.of("fail/missing-key", "{}", 400, "public_key is missing"),
                Arguments.of("fail/unknown-field", body(ed, "\"admin\":true"), 400, "unknown field 'admin'"),
                Arguments.of("fail/not-json", "{\"public_key\":", 400, "the request body is not valid JSON"),
                Arguments.of("fail/array-body", "[]", 400, "the request body must be a JSON object"),
                Arguments.of("fail/body-over-64k", body(ed, "\"ttl\":\"" + "1".repeat(70_000) + "\""), 413,
                        "the request body is larger than 65536 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesBadInputWithAProblemAndAnAuditEvent(String name, String body, int status, String detail) throws Exception {
        long certificatesBefore = count("SELECT COUNT(*) FROM certificates");
        long refusalsBefore = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'");
        HttpResponse<String> response = request(aliceToken, body);
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode problem = JSON.readTree(response.body());
        assertEquals(detail, problem.get("detail").asText());
        assertEquals(status, problem.get("status").asInt());
        assertEquals(certificatesBefore, count("SELECT COUNT(*) FROM certificates"));
        assertEquals(refusalsBefore + 1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"));
    }

    @Test
    void refusesACertificateInsteadOfAKey() throws Exception {
        HttpResponse<String> issued = request(aliceToken, body(userKey, ""));
        String certificate = JSON.readTree(issued.body()).get("certificate").asText();
        HttpResponse<String> response = request(aliceToken, body(certificate, ""));
        assertEquals(400, response.statusCode());
        assertEquals("public_key is a certificate; send the plain public key", JSON.readTree(response.body()).get("detail").asText());
    }

    @Nested
    class Authentication {

        @Test
        void refusesARequestWithoutAToken() throws Exception {
            HttpResponse<String> response = request(null, body(userKey, ""));
            assertEquals(401, response.statusCode());
            assertEquals("an OIDC ID token is required: Authorization: Bearer <token>",
                    JSON.readTree(response.body()).get("detail").asText());
        }

        @Test
        void refusesAGarbageToken() throws Exception {
            HttpResponse<String> response = request("abc.def.ghi", body(userKey, ""));
            assertEquals(401, response.statusCode());
            assertTrue(JSON.readTree(response.body()).get("detail").asText().startsWith("token rejected: "));
        }

        @Test
        void refusesAnIdentityNoRoleMatches() throws Exception {
            String token = idp.idToken("mallory@elsewhere.org", List.of("visitors"));
            HttpResponse<String> response = request(token, body(userKey, ""));
            assertEquals(403, response.statusCode(), response.body());
            assertTrue(JSON.readTree(response.body()).get("detail").asText()
                    .startsWith("no certificate for mallory@elsewhere.org: "), response.body());
        }
    }

    @Nested
    class PublicEndpoints {

        @Test
        void servesOnlyTheSessionCaKeyForTargetsTrustedUserCaKeys() throws Exception {
            HttpResponse<String> response = ca.get("/v1/ca/user.pub");
            assertEquals(200, response.statusCode());
            assertEquals(Files.readString(ca.keys().resolve("session_ca.pub")).split(" writ")[0] + "\n", response.body());
            assertFalse(response.body().contains(Files.readString(ca.keys().resolve("user_ca.pub")).split(" ")[1]),
                    "engineers' certificates must not open targets directly");
        }

        @Test
        void listsTheThreeCasEachWithItsOwnKey() throws Exception {
            HttpResponse<String> response = ca.get("/v1/ca");
            assertEquals(200, response.statusCode());
            JsonNode keys = JSON.readTree(response.body());
            List<String> names = new java.util.ArrayList<>();
            keys.fieldNames().forEachRemaining(names::add);
            assertEquals(List.of("user", "session", "host"), names);
            for (String name : names) {
                assertEquals(1, keys.get(name).size(), name);
                assertEquals(Files.readString(ca.keys().resolve(name + "_ca.pub")).split(" writ")[0], keys.get(name).get(0).asText());
            }
            assertEquals(3, java.util.Set.of(keys.get("user").get(0).asText(), keys.get("session").get(0).asText(),
                    keys.get("host").get(0).asText()).size(), "three distinct keys");
        }

        @Test
        void servesCertAuthorityLinesForKnownHosts() throws Exception {
            HttpResponse<String> response = ca.get("/v1/ca/known_hosts");
            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("@cert-authority * ssh-ed25519 "), response.body());
        }

        @Test
        void tellsTheCliHowToLogIn() throws Exception {
            JsonNode login = JSON.readTree(ca.get("/v1/login-config").body());
            assertEquals(idp.issuerUrl(), login.get("issuer").asText());
            assertEquals("writ", login.get("client_id").asText());
            assertTrue(login.get("scopes").toString().contains("openid"));
        }

        @Test
        void reportsHealthAndReadiness() throws Exception {
            assertEquals(200, ca.get("/healthz").statusCode());
            assertEquals(200, ca.get("/readyz").statusCode());
        }

        @Test
        void exposesIssuanceAndRefusalMetrics() throws Exception {
            request(aliceToken, body(userKey, ""));
            request(null, body(userKey, ""));
            String metrics = ca.get("/metrics").body();
            assertTrue(metrics.contains("writ_certificates_issued_total{kind=\"user\"}"), metrics);
            assertTrue(metrics.contains("writ_refusals_total{reason=\"missing_token\"}"), metrics);
            assertTrue(metrics.contains("writ_issuance_seconds_bucket"), metrics);
            assertTrue(metrics.contains("writ_store_commit_seconds_count"), metrics);
            assertFalse(metrics.contains("alice"), "metrics must not name identities");
        }

        @Test
        void answersARequestJettyRefusesWithAProblem() throws Exception {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", java.net.URI.create(ca.url()).getPort())) {
                socket.getOutputStream().write(("POST /v1/certs/user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
                        + " folded\r\nContent-Length: 0\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.shutdownOutput();
                String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
                assertTrue(answer.contains("Content-Type: application/problem+json"), answer);
                assertTrue(answer.contains("\"status\":400"), answer);
                assertFalse(answer.contains("<html"), answer);
            }
        }

        @Test
        void answersAnUnknownPathWithAProblem() throws Exception {
            HttpResponse<String> response = ca.get("/v1/nothing");
            assertEquals(404, response.statusCode());
            assertEquals("Endpoint GET /v1/nothing not found", JSON.readTree(response.body()).get("detail").asText());
        }

        @Test
        void keepsTheDetailOfAHandlersOwn404() throws Exception {
            HttpResponse<String> response = ca.get("/v1/access-requests/nope", aliceToken);
            assertEquals(404, response.statusCode());
            assertEquals("no access request 'nope'", JSON.readTree(response.body()).get("detail").asText());
            assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void issuesNothingWhenTheStoreCannotCommit() throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TRIGGER fail_insert BEFORE INSERT ON certificates BEGIN SELECT RAISE(ABORT, 'disk full'); END");
        }
        try {
            long issuedBefore = count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'");
            HttpResponse<String> response = request(aliceToken, body(userKey, ""));
            assertEquals(503, response.statusCode(), response.body());
            assertFalse(response.body().contains("cert-v01"), "no certificate may leave the server");
            assertEquals(issuedBefore, count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"));
        } finally {
            try (Connection c = ca.sql(); Statement s = c.createStatement()) {
                s.executeUpdate("DROP TRIGGER fail_insert");
            }
        }
        assertEquals(201, request(aliceToken, body(userKey, "")).statusCode());
    }
}
