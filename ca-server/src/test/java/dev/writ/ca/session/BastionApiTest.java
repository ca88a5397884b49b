package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.krl.Krl;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The CA's endpoints for bastions, over HTTP, against a real CA and a real OIDC issuer. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BastionApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}", deploy]
                targets: [ { hosts: ["web*"] }, { labels: { env: dev } } ]
                ttl: 1h
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
              - name: ops
                match: { groups: [engineering] }
                principals: [ops]
                targets: [ { hosts: ["ops*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
            """;

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    TestBastion bastion;
    TestBastion ecBastion;
    String token;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = TestBastion.ed25519("bastion-1");
        ecBastion = TestBastion.ecdsa("bastion-ec");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(), "bastions:\n"
                + bastion.registration(List.of("bastion.test", "web*")) + ecBastion.registration(List.of("bastion.test")));
        token = idp.idToken("alice@example.com", List.of("engineering"));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    HttpResponse<String> post(String path, String bearer, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ca.url() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> get(String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ca.url() + path)).GET();
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A user certificate from the CA for a fresh key. */
    JsonNode userCertificate(String ttl) throws Exception {
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        HttpResponse<String> response = post("/v1/certs/user", token, ttl == null
                ? Map.of("public_key", key) : Map.of("public_key", key, "ttl", ttl));
        assertEquals(201, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    Map<String, Object> sessionRequest(String certificate, String principal, String target) throws Exception {
        return Map.of("user_certificate", certificate, "principal", principal, "target", target,
                "session_id", "s-" + Long.toHexString(System.nanoTime()),
                "public_key", PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic()));
    }

    HttpResponse<String> session(Map<String, Object> request) throws Exception {
        return post("/v1/certs/session", bastion.assertion(), request);
    }

    static void assertProblem(HttpResponse<String> response, int status, String detail) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(detail, JSON.readTree(response.body()).get("detail").asText());
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    void revokeSerial(String serial) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO revocations (serial, reason, revoked_by, revoked_at) VALUES ("
                    + Long.parseUnsignedLong(serial) + ", 'test', 'test', 0)");
        }
    }

    /** The SHA256 fingerprint of one of the CA's public key files, as ssh-keygen prints it. */
    String fingerprint(String file) throws Exception {
        Processes.Result result = Processes.run(List.of("ssh-keygen", "-l", "-f", ca.keys().resolve(file).toString()));
        assertEquals(0, result.exitCode(), result.output());
        return result.output().split(" ")[1];
    }

    String keygenList(String line) throws Exception {
        Path file = Files.writeString(Files.createTempFile(dir, "c", "-cert.pub"), line + "\n");
        Processes.Result listing = Processes.run(List.of("ssh-keygen", "-L", "-f", file.toString()));
        assertEquals(0, listing.exitCode(), listing.output());
        return listing.output();
    }

    @Nested
    class SessionCertificates {

        @Test
        void okIssuesOnePrincipalForTwoMinutesPinnedToTheBastionNamingEngineerAndSession() throws Exception {
            JsonNode user = userCertificate(null);
            Map<String, Object> request = new java.util.HashMap<>(sessionRequest(user.get("certificate").asText(), "alice", "web01"));
            request.put("session_id", "s-42");
            HttpResponse<String> response = session(request);
            assertEquals(201, response.statusCode(), response.body());
            JsonNode answer = JSON.readTree(response.body());
            String listing = keygenList(answer.get("certificate").asText());
            assertTrue(listing.contains("Key ID: \"alice@example.com via writ session s-42\""), listing);
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+alice\\n\\s+Critical Options: \\n\\s+source-address 127.0.0.1/32\\n.*"), listing);
            assertTrue(listing.matches("(?s).*Extensions: \\n\\s+permit-port-forwarding\\n\\s+permit-pty\\n\\s+roles@writ.*"), listing);
            // signed by the session CA, the one targets trust; never by the user CA that signs engineers' certificates
            assertTrue(listing.contains("Signing CA: ED25519 " + fingerprint("session_ca.pub")), listing);
            assertFalse(listing.contains(fingerprint("user_ca.pub")), listing);
            long seconds = Instant.parse(answer.get("valid_before").asText()).getEpochSecond() - Instant.now().getEpochSecond();
            assertTrue(seconds > 100 && seconds <= 120, "valid for " + seconds + " s");
            long serial = Long.parseUnsignedLong(answer.get("serial").asText());
            assertEquals(1, count("SELECT COUNT(*) FROM certificates WHERE kind = 'session' AND serial = " + serial
                    + " AND identity = 'alice@example.com'"));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"
                    + " AND details LIKE '%\"session_id\":\"s-42\"%' AND details LIKE '%\"bastion\":\"bastion-1\"%'"));
        }

        @Test
        void okTargetReachedThroughItsLabels() throws Exception {
            Map<String, Object> request = new java.util.HashMap<>(sessionRequest(userCertificate(null).get("certificate").asText(),
                    "deploy", "db01"));
            request.put("target_labels", Map.of("env", "dev"));
            assertEquals(201, session(request).statusCode());
        }

        @Test
        void failTargetNotAllowedByPolicy() throws Exception {
            assertProblem(session(sessionRequest(userCertificate(null).get("certificate").asText(), "alice", "db01")), 403,
                    "no role of alice@example.com allows login alice on db01");
        }

        @Test
        void okTheOneRoleThatGivesTheLoginAndTheTargetDecidesTheCertificate() throws Exception {
            HttpResponse<String> response = session(sessionRequest(userCertificate(null).get("certificate").asText(), "ops", "ops01"));
            assertEquals(201, response.statusCode(), response.body());
            String listing = keygenList(JSON.readTree(response.body()).get("certificate").asText());
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+ops\\n.*"), listing);
            // ops's extensions only, though the engineer's certificate also carries engineer's port forwarding
            assertTrue(listing.matches("(?s).*Extensions: \\n\\s+permit-pty\\n\\s+roles@writ UNKNOWN OPTION[^\\n]*\\n"), listing);
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"
                    + " AND details LIKE '%\"role\":\"ops\"%' AND details LIKE '%\"target\":\"ops01\"%'"));
        }

        @Test
        void failTheLoginOfOneRoleOnTheTargetOfAnother() throws Exception {
            assertProblem(session(sessionRequest(userCertificate(null).get("certificate").asText(), "ops", "web01")), 403,
                    "no role of alice@example.com allows login ops on web01");
            assertProblem(session(sessionRequest(userCertificate(null).get("certificate").asText(), "alice", "ops01")), 403,
                    "no role of alice@example.com allows login alice on ops01");
        }

        @Test
        void failLoginNotAPrincipalOfTheCertificate() throws Exception {
            assertProblem(session(sessionRequest(userCertificate(null).get("certificate").asText(), "root", "web01")), 403,
                    "login root is not a principal of the certificate");
        }

        @Test
        void failRevokedCertificate() throws Exception {
            JsonNode user = userCertificate(null);
            revokeSerial(user.get("serial").asText());
            assertProblem(session(sessionRequest(user.get("certificate").asText(), "alice", "web01")), 403,
                    "user_certificate is revoked");
        }

        @Test
        void failExpiredCertificate() throws Exception {
            JsonNode user = userCertificate("1s");
            Thread.sleep(2_100);
            assertProblem(session(sessionRequest(user.get("certificate").asText(), "alice", "web01")), 403,
                    "user_certificate has expired");
        }

        @Test
        void failCertificateSignedByAnotherCa() throws Exception {
            Path other = dir.resolve("other_ca");
            Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.toString()));
            assertProblem(session(sessionRequest(craft(other, "alice"), "alice", "web01")), 403,
                    "user_certificate is not signed by this CA's user key");
        }

        @Test
        void failCertificateSignedWithOurKeyButNeverIssued() throws Exception {
            assertProblem(session(sessionRequest(craft(ca.keys().resolve("user_ca"), "alice"), "alice", "web01")), 403,
                    "user_certificate was not issued by this CA");
        }

        @Test
        void failPlainKeyInsteadOfCertificate() throws Exception {
            String plain = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            assertProblem(session(sessionRequest(plain, "alice", "web01")), 400,
                    "user_certificate is a plain key, not a certificate");
        }

        @Test
        void failHostCertificateOfferedAsUserCertificate() throws Exception {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            HttpResponse<String> host = post("/v1/certs/bastion-host", bastion.assertion(),
                    Map.of("public_key", key, "hostnames", List.of("web01")));
            assertEquals(201, host.statusCode(), host.body());
            assertProblem(session(sessionRequest(JSON.readTree(host.body()).get("certificate").asText(), "alice", "web01")),
                    403, "user_certificate is not a user certificate");
        }

        @Test
        void failCalledWithAnOidcTokenInsteadOfABastionAssertion() throws Exception {
            HttpResponse<String> response = post("/v1/certs/session", token,
                    sessionRequest(userCertificate(null).get("certificate").asText(), "alice", "web01"));
            assertEquals(401, response.statusCode(), response.body());
        }

        /** A certificate for a fresh key, signed with {@code caKey} by the real ssh-keygen. */
        String craft(Path caKey, String principal) throws Exception {
            Path key = Files.createTempDirectory(dir, "k").resolve("id");
            Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
            Processes.Result signed = Processes.run(List.of("ssh-keygen", "-q", "-s", caKey.toString(), "-I", "alice@example.com",
                    "-n", principal, "-V", "-1m:+1h", "-z", "12345", key + ".pub"));
            assertEquals(0, signed.exitCode(), signed.output());
            return Files.readString(Path.of(key + "-cert.pub")).strip();
        }
    }

    @Nested
    class Assertions {

        HttpResponse<String> withAssertion(String assertion) throws Exception {
            return post("/v1/certs/session", assertion, sessionRequest(userCertificate(null).get("certificate").asText(),
                    "alice", "web01"));
        }

        @Test
        void okEcdsaBastion() throws Exception {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            HttpResponse<String> response = post("/v1/certs/bastion-host", ecBastion.assertion(),
                    Map.of("public_key", key, "hostnames", List.of("bastion.test")));
            assertEquals(201, response.statusCode(), response.body());
        }

        @Test
        void failMissing() throws Exception {
            assertProblem(withAssertion(null), 401, "a bastion assertion is required: Authorization: Bearer <jwt>");
        }

        @Test
        void failUnknownBastion() throws Exception {
            TestBastion stranger = TestBastion.ed25519("stranger");
            assertProblem(withAssertion(stranger.assertion()), 401, "bastion assertion rejected: unknown bastion");
        }

        @Test
        void failSignedByAnotherKeyThanTheRegisteredOne() throws Exception {
            TestBastion impostor = TestBastion.ed25519("bastion-1");
            assertProblem(withAssertion(impostor.assertion()), 401, "bastion assertion rejected: bad signature");
        }

        @Test
        void failLivingLongerThanSixtySeconds() throws Exception {
            assertProblem(withAssertion(bastion.sign(bastion.claims(Instant.now(), 61))), 401,
                    "bastion assertion rejected: exp must be after iat and at most 60 s later");
        }

        @Test
        void failExpired() throws Exception {
            assertProblem(withAssertion(bastion.sign(bastion.claims(Instant.now().minus(Duration.ofMinutes(5)), 30))), 401,
                    "bastion assertion rejected: assertion expired");
        }

        @Test
        void failReplayed() throws Exception {
            String once = bastion.assertion();
            assertEquals(201, withAssertion(once).statusCode());
            assertProblem(withAssertion(once), 401, "bastion assertion rejected: assertion replayed (jti already used)");
        }

        @Test
        void failOtherAudience() throws Exception {
            Map<String, Object> claims = bastion.claims(Instant.now(), 30);
            claims.put("aud", "some-other-service");
            assertProblem(withAssertion(bastion.sign(claims)), 401, "bastion assertion rejected: aud must contain writ-ca");
        }

        @Test
        void failAlgorithmNone() throws Exception {
            String signed = bastion.assertion();
            String header = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"none\"}").toString();
            String unsigned = header + signed.substring(signed.indexOf('.'), signed.lastIndexOf('.') + 1);
            assertEquals(401, withAssertion(unsigned).statusCode());
        }

        @Test
        void failAlgorithmOtherThanTheKeysOwn() throws Exception {
            assertProblem(withAssertion(bastion.sign("ES256", bastion.claims(Instant.now(), 30))), 401,
                    "bastion assertion rejected: algorithm must be EdDSA for this bastion's key");
        }
    }

    @Nested
    class HostCertificates {

        @Test
        void okOwnNameAndATargetNameItMayPresent() throws Exception {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            HttpResponse<String> response = post("/v1/certs/bastion-host", bastion.assertion(),
                    Map.of("public_key", key, "hostnames", List.of("bastion.test", "web01")));
            assertEquals(201, response.statusCode(), response.body());
            String listing = keygenList(JSON.readTree(response.body()).get("certificate").asText());
            assertTrue(listing.contains("host certificate"), listing);
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+bastion.test\\n\\s+web01\\n.*"), listing);
        }

        @Test
        void failNameOutsideItsRegistration() throws Exception {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            assertProblem(post("/v1/certs/bastion-host", bastion.assertion(),
                            Map.of("public_key", key, "hostnames", List.of("web01", "db01"))), 403,
                    "bastion bastion-1 may not have host certificates for db01");
        }

        @Test
        void failWildcard() throws Exception {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            assertProblem(post("/v1/certs/bastion-host", bastion.assertion(),
                            Map.of("public_key", key, "hostnames", List.of("web*"))), 400,
                    "hostnames must be DNS names or IP addresses, without wildcards");
        }
    }

    @Nested
    class Audit {

        @Test
        void okRecordsTheEventWithTheBastionAndReason() throws Exception {
            HttpResponse<String> response = post("/v1/audit/bastion", bastion.assertion(), Map.of("type", "login.refused",
                    "outcome", "refused", "actor", "mallory@example.com", "client_address", "192.0.2.7",
                    "reason", "certificate_expired", "details", Map.of("login", "root", "target", "web01")));
            assertEquals(204, response.statusCode(), response.body());
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.login.refused'"
                    + " AND actor = 'mallory@example.com' AND client_address = '192.0.2.7'"
                    + " AND details LIKE '%\"reason\":\"certificate_expired\"%' AND details LIKE '%\"bastion\":\"bastion-1\"%'"));
        }

        @Test
        void failUnknownType() throws Exception {
            HttpResponse<String> response = post("/v1/audit/bastion", bastion.assertion(),
                    Map.of("type", "certificate.issued", "outcome", "ok"));
            assertEquals(400, response.statusCode(), response.body());
        }
    }

    @Nested
    class RevocationList {

        @Test
        void servesRevokedSerialsAsAKrlThatSshKeygenAgreesWith() throws Exception {
            JsonNode user = userCertificate(null);
            revokeSerial(user.get("serial").asText());
            HttpResponse<byte[]> response = get("/v1/krl", null);
            assertEquals(200, response.statusCode());
            Krl krl = Krl.decode(response.body());
            assertTrue(krl.version() > 0);
            Path krlFile = Files.write(dir.resolve("served.krl"), response.body());
            Path cert = Files.writeString(dir.resolve("revoked-cert.pub"), user.get("certificate").asText() + "\n");
            Processes.Result query = Processes.run(List.of("ssh-keygen", "-Q", "-f", krlFile.toString(), cert.toString()));
            assertEquals(1, query.exitCode(), query.output());
            assertTrue(query.output().contains("REVOKED"), query.output());
        }
    }

    @Nested
    class PolicyFilesForTheBastion {

        @Test
        void servesTheFilesTheCaLoaded() throws Exception {
            HttpResponse<byte[]> response = get("/v1/bastion/policy", bastion.assertion());
            assertEquals(200, response.statusCode());
            assertEquals(POLICY, JSON.readTree(response.body()).get("files").get("policy.yaml").asText());
        }

        @Test
        void failWithoutAnAssertion() throws Exception {
            assertEquals(401, get("/v1/bastion/policy", null).statusCode());
        }
    }
}
