package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.MutableClock;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.krl.Krl;
import dev.writ.protocol.ssh.PublicKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /v1/revocations} over HTTP against a real CA on an injected clock and a real OIDC
 * issuer: who may revoke, each way of naming what to revoke, what the KRL then lists, and the
 * certificates of access grants that end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationApiTest {

    static final Instant START = Instant.parse("2026-11-18T09:00:00Z");
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
              - name: prod-admin
                principals: [root]
                ttl: 30m
                max_ttl: 1h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  approvals: 1
                  max_duration: 2h
                  reason_required: true
            admins:
              - match: { groups: [writ-admins] }
            """;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final AtomicInteger PEOPLE = new AtomicInteger();

    @TempDir
    static Path dir;
    final MutableClock clock = new MutableClock(START);
    TestIdp idp;
    TestCa ca;
    String admin;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp(clock);
        ca = TestCa.start(dir, idp.issuerUrl(), POLICY, clock);
        admin = token("root@example.com", "writ-admins");
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    @BeforeEach
    void resetClock() {
        clock.set(START);
    }

    // ---- helpers

    String token(String email, String... groups) {
        return idp.idToken(email, List.of(groups));
    }

    /** A new engineer's email, so that key ids and identities are this test's own. */
    static String someone(String name) {
        return name + PEOPLE.incrementAndGet() + "@example.com";
    }

    static String newKey() throws Exception {
        return PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
    }

    /** A certificate for a new key: the CA's answer plus {@code public_key}. */
    JsonNode certificate(String token, String ttl) throws Exception {
        String key = newKey();
        Map<String, String> body = new LinkedHashMap<>();
        body.put("public_key", key);
        if (ttl != null) {
            body.put("ttl", ttl);
        }
        HttpResponse<String> response = ca.post("/v1/certs/user", token, JSON.writeValueAsString(body));
        assertEquals(201, response.statusCode(), response.body());
        return ((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(response.body())).put("public_key", key);
    }

    HttpResponse<String> revoke(String bearer, Map<String, ?> body) throws Exception {
        return ca.post("/v1/revocations", bearer, JSON.writeValueAsString(body));
    }

    /** A revocation that must succeed: its answer. */
    JsonNode revoked(Map<String, ?> body) throws Exception {
        HttpResponse<String> response = revoke(admin, body);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    Krl krl() throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/krl")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        Krl krl = Krl.decode(response.body());
        assertEquals(Long.toString(krl.version()), response.headers().firstValue("X-Writ-Krl-Version").orElse(""));
        return krl;
    }

    static boolean listsSerial(Krl krl, String serial) {
        return krl.certificates().stream().anyMatch(c -> c.serials().contains(Long.parseUnsignedLong(serial)));
    }

    static boolean listsKeyId(Krl krl, String keyId) {
        return krl.certificates().stream().anyMatch(c -> c.keyIds().contains(keyId));
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String detail(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("detail").asText();
    }

    static List<String> sorted(String... values) {
        return Stream.of(values).sorted().toList();
    }

    static List<String> sorted(List<String> values) {
        return values.stream().sorted().toList();
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** An approved grant of prod-admin for {@code email}: its id. */
    String grant(String email, String duration) throws Exception {
        HttpResponse<String> requested = ca.post("/v1/access-requests", token(email, "engineering"),
                "{\"role\":\"prod-admin\",\"reason\":\"INC-4711\",\"duration\":\"" + duration + "\"}");
        assertEquals(201, requested.statusCode(), requested.body());
        String id = JSON.readTree(requested.body()).get("id").asText();
        HttpResponse<String> approved = ca.post("/v1/access-requests/" + id + "/reviews", token("bob@example.com", "sre-leads"),
                "{\"decision\":\"approve\"}");
        assertEquals(201, approved.statusCode(), approved.body());
        return id;
    }

    // ---- who, and what is refused

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("fail/no-token", null, Map.of("serial", "1", "reason", "x"), 401,
                        "an OIDC ID token is required: Authorization: Bearer <token>"),
                Arguments.of("fail/not-an-admin", "mallory@example.com", Map.of("serial", "1", "reason", "x"), 403,
                        "mallory@example.com is not a writ admin"),
                Arguments.of("fail/nothing-named", "root@example.com", Map.of("reason", "x"), 400,
                        "name exactly one of serial, key_id, public_key, identity, grant"),
                Arguments.of("fail/two-named", "root@example.com", Map.of("serial", "1", "key_id", "a", "reason", "x"), 400,
                        "name exactly one of serial, key_id, public_key, identity, grant (got serial, key_id)"),
                Arguments.of("fail/reason-missing", "root@example.com", Map.of("key_id", "a"), 400,
                        "reason is missing: say why, for the audit log"),
                Arguments.of("fail/reason-blank", "root@example.com", Map.of("key_id", "a", "reason", "  "), 400,
                        "reason is missing: say why, for the audit log"),
                Arguments.of("fail/reason-two-lines", "root@example.com", Map.of("key_id", "a", "reason", "a\nb"), 400,
                        "reason must be one line without control characters"),
                Arguments.of("fail/serial-not-a-number", "root@example.com", Map.of("serial", "0x1f", "reason", "x"), 400,
                        "serial '0x1f' is not a certificate serial: an unsigned decimal number from 1 to"
                                + " 18446744073709551615, as ssh-keygen -L prints it"),
                Arguments.of("fail/serial-zero", "root@example.com", Map.of("serial", "0", "reason", "x"), 400,
                        "serial '0' is not a certificate serial: an unsigned decimal number from 1 to"
                                + " 18446744073709551615, as ssh-keygen -L prints it"),
                Arguments.of("fail/serial-too-large", "root@example.com", Map.of("serial", "18446744073709551616",
                        "reason", "x"), 400, "serial '18446744073709551616' is not a certificate serial: an unsigned"
                        + " decimal number from 1 to 18446744073709551615, as ssh-keygen -L prints it"),
                Arguments.of("fail/serial-never-issued", "root@example.com", Map.of("serial", "18446744073709551615",
                        "reason", "x"), 404, "no certificate with serial 18446744073709551615 was issued by this CA"),
                Arguments.of("fail/key-id-never-issued", "root@example.com", Map.of("key_id", "nobody@example.com",
                        "reason", "x"), 404, "no certificate with key id 'nobody@example.com' was issued by this CA"),
                Arguments.of("fail/identity-never-issued", "root@example.com", Map.of("identity", "nobody@example.com",
                        "reason", "x"), 404, "no certificate was issued to 'nobody@example.com' by this CA"),
                Arguments.of("fail/grant-unknown", "root@example.com", Map.of("grant", "no-such-grant", "reason", "x"), 404,
                        "no access grant 'no-such-grant'"),
                Arguments.of("fail/public-key-not-a-key", "root@example.com", Map.of("public_key", "ssh-ed25519 AAAA",
                        "reason", "x"), 400, null),
                Arguments.of("fail/unknown-field", "root@example.com", Map.of("fingerprint", "SHA256:x", "reason", "x"), 400,
                        "unknown field 'fingerprint'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesWithAProblemAndAnAuditEventAndRevokesNothing(String name, String caller, Map<String, ?> body, int status,
                                                            String message) throws Exception {
        long refusals = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'");
        long revocations = count("SELECT COUNT(*) FROM revocations");
        HttpResponse<String> response = revoke(caller == null ? null
                : token(caller, caller.startsWith("root") ? "writ-admins" : "engineering"), body);
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        if (message != null) {
            assertEquals(message, detail(response));
        } else {
            assertTrue(detail(response).startsWith("public_key: "), detail(response));
        }
        // without a verified identity the refusal goes into a summary per address and window (RateLimitApiTest)
        assertEquals(refusals + (caller == null ? 0 : 1), count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                + " AND details LIKE '%/v1/revocations%'"));
        assertEquals(revocations, count("SELECT COUNT(*) FROM revocations"));
    }

    @Test
    void refusesTheCasOwnKey() throws Exception {
        String caKey = ca.get("/v1/ca/user.pub").body().strip();
        HttpResponse<String> response = revoke(admin, Map.of("public_key", caKey, "reason", "oops"));
        assertEquals(400, response.statusCode(), response.body());
        assertEquals("public_key is one of this CA's own keys: revoking it would revoke every certificate it signed;"
                + " rotate the CA key instead", detail(response));
    }

    // ---- each way of naming what to revoke

    @Nested
    class Revoking {

        @Test
        void bySerialListsTheCertificateInTheNextKrlAndAuditsWhoAndWhy() throws Exception {
            String alice = someone("alice");
            JsonNode issued = certificate(token(alice, "engineering"), null);
            String serial = issued.get("serial").asText();
            long before = krl().version();

            JsonNode answer = revoked(Map.of("serial", serial, "reason", "laptop stolen"));

            assertEquals("serial", answer.get("kind").asText());
            assertEquals("laptop stolen", answer.get("reason").asText());
            assertEquals("root@example.com", answer.get("revoked_by").asText());
            assertEquals(START.toString(), answer.get("revoked_at").asText());
            assertEquals(List.of(serial), texts(answer.get("serials")));
            JsonNode certificate = answer.get("certificates").get(0);
            assertEquals(serial, certificate.get("serial").asText());
            assertEquals("user", certificate.get("kind").asText());
            assertEquals(alice, certificate.get("identity").asText());
            assertEquals(alice, certificate.get("key_id").asText());
            assertEquals(issued.get("valid_before").asText(), certificate.get("valid_before").asText());
            assertEquals(1, answer.get("added").asInt());
            Krl krl = krl();
            assertEquals(before + 1, krl.version());
            assertEquals(krl.version(), answer.get("krl_version").asLong());
            assertTrue(listsSerial(krl, serial));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'revocation.created'"
                    + " AND actor = 'root@example.com' AND details LIKE '%\"kind\":\"serial\"%'"
                    + " AND details LIKE '%\"reason\":\"laptop stolen\"%' AND details LIKE '%" + serial + "%'"));
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(serial)
                    + " AND revoked_by = 'root@example.com' AND reason = 'laptop stolen'"));
        }

        @Test
        void noNewCertificateIsIssuedForARevokedKeyIdOrKey() throws Exception {
            String kim = someone("kim");
            String kimsToken = token(kim, "engineering");
            certificate(kimsToken, null);
            revoked(Map.of("key_id", kim, "reason", "left the company"));
            Thread.sleep(250); // issuance reads the list at most every 200 ms

            HttpResponse<String> refused = ca.post("/v1/certs/user", kimsToken, JSON.writeValueAsString(
                    Map.of("public_key", newKey())));
            assertEquals(403, refused.statusCode(), refused.body());
            assertEquals("certificates for " + kim + " or for this key are revoked at this CA; ask a writ admin",
                    JSON.readTree(refused.body()).get("detail").asText());

            String leaked = newKey();
            revoked(Map.of("public_key", leaked, "reason", "found in a public repository"));
            Thread.sleep(250);
            String lee = token(someone("lee"), "engineering");
            assertEquals(403, ca.post("/v1/certs/user", lee, JSON.writeValueAsString(Map.of("public_key", leaked))).statusCode());
            assertEquals(201, ca.post("/v1/certs/user", lee, JSON.writeValueAsString(Map.of("public_key", newKey()))).statusCode(),
                    "another key of the same engineer is fine");
        }

        @Test
        void twiceAddsNothingAndLeavesTheVersionAlone() throws Exception {
            String serial = certificate(token(someone("alice"), "engineering"), null).get("serial").asText();
            JsonNode first = revoked(Map.of("serial", serial, "reason", "once"));

            JsonNode second = revoked(Map.of("serial", serial, "reason", "twice"));

            assertEquals(0, second.get("added").asInt());
            assertEquals(first.get("krl_version").asLong(), second.get("krl_version").asLong());
            assertEquals(first.get("krl_version").asLong(), krl().version());
            assertEquals(List.of(serial), texts(second.get("serials")));
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(serial)));
        }

        @Test
        void anExpiredCertificateCanStillBeRevokedButIsNotListedAsCovered() throws Exception {
            String serial = certificate(token(someone("alice"), "engineering"), "5m").get("serial").asText();
            clock.advance(Duration.ofMinutes(10));

            JsonNode answer = revoked(Map.of("serial", serial, "reason", "tidy"));

            assertEquals(List.of(serial), texts(answer.get("serials")));
            assertEquals(0, answer.get("certificates").size());
            assertEquals(1, answer.get("added").asInt());
        }

        @Test
        void byKeyIdCoversEveryCertificateCarryingIt() throws Exception {
            String kim = someone("kim");
            String kims = token(kim, "engineering");
            String one = certificate(kims, null).get("serial").asText();
            String two = certificate(kims, null).get("serial").asText();

            JsonNode answer = revoked(Map.of("key_id", kim, "reason", "left the company"));

            assertEquals("key_id", answer.get("kind").asText());
            assertEquals(kim, answer.get("key_id").asText());
            assertNull(answer.get("serials"));
            assertEquals(sorted(one, two), sorted(answer.get("certificates").findValuesAsText("serial")));
            assertTrue(listsKeyId(krl(), kim));
        }

        @Test
        void byPublicKeyOrACertificateOfItRevokesTheKey() throws Exception {
            JsonNode issued = certificate(token(someone("carol"), "engineering"), null);
            String fingerprint = PublicKeys.fingerprint(PublicKeys.parse(issued.get("public_key").asText()));

            JsonNode byKey = revoked(Map.of("public_key", issued.get("public_key").asText(), "reason", "key leaked"));
            JsonNode byCertificate = revoked(Map.of("public_key", issued.get("certificate").asText(), "reason", "again"));

            assertEquals("public_key", byKey.get("kind").asText());
            assertEquals(fingerprint, byKey.get("key_fingerprint").asText());
            assertEquals(issued.get("serial").asText(), byKey.get("certificates").get(0).get("serial").asText());
            assertEquals(1, byKey.get("added").asInt());
            assertEquals(fingerprint, byCertificate.get("key_fingerprint").asText());
            assertEquals(0, byCertificate.get("added").asInt());
            assertTrue(krl().sha256Fingerprints().contains(fingerprint));
        }

        @Test
        void aKeyTheCaNeverCertifiedMayBeRevoked() throws Exception {
            String key = newKey();

            JsonNode answer = revoked(Map.of("public_key", key, "reason", "found on a paste site"));

            assertEquals(0, answer.get("certificates").size());
            assertTrue(krl().sha256Fingerprints().contains(PublicKeys.fingerprint(PublicKeys.parse(key))));
        }

        @Test
        void byIdentityRevokesEveryUnexpiredCertificateBySerial() throws Exception {
            String erin = someone("erin");
            String erins = token(erin, "engineering");
            String shortLived = certificate(erins, "5m").get("serial").asText();
            clock.advance(Duration.ofMinutes(10));
            String one = certificate(erins, null).get("serial").asText();
            String two = certificate(erins, null).get("serial").asText();
            String someoneElses = certificate(token(someone("frank"), "engineering"), null).get("serial").asText();

            JsonNode answer = revoked(Map.of("identity", erin, "reason", "account compromised"));

            assertEquals("identity", answer.get("kind").asText());
            assertEquals(erin, answer.get("identity").asText());
            assertEquals(sorted(one, two), sorted(texts(answer.get("serials"))));
            assertEquals(2, answer.get("certificates").size());
            assertEquals(2, answer.get("added").asInt());
            Krl krl = krl();
            assertTrue(listsSerial(krl, one) && listsSerial(krl, two));
            assertFalse(listsSerial(krl, shortLived), "expired already");
            assertFalse(listsSerial(krl, someoneElses));
        }

        @Test
        void aKnownIdentityWithoutUnexpiredCertificatesRevokesNothing() throws Exception {
            String gil = someone("gil");
            certificate(token(gil, "engineering"), "5m");
            clock.advance(Duration.ofMinutes(10));

            JsonNode answer = revoked(Map.of("identity", gil, "reason", "left"));

            assertEquals(List.of(), texts(answer.get("serials")));
            assertEquals(0, answer.get("added").asInt());
        }
    }

    // ---- grants

    @Nested
    class Grants {

        @Test
        void byGrantRevokesItsCertificatesAndEndsIt() throws Exception {
            String hal = someone("hal");
            String id = grant(hal, "1h");
            String hals = token(hal, "engineering");
            JsonNode withGrant = certificate(hals, null);
            String login = hal.substring(0, hal.indexOf('@'));
            assertEquals(sorted(login, "root"), sorted(texts(withGrant.get("principals"))));

            JsonNode answer = revoked(Map.of("grant", id, "reason", "INC closed"));

            assertEquals("grant", answer.get("kind").asText());
            assertEquals(id, answer.get("grant").asText());
            assertTrue(answer.get("grant_ended").asBoolean());
            assertEquals(List.of(withGrant.get("serial").asText()), texts(answer.get("serials")));
            assertEquals(1, answer.get("added").asInt());
            assertTrue(listsSerial(krl(), withGrant.get("serial").asText()));
            JsonNode request = JSON.readTree(ca.get("/v1/access-requests/" + id, hals).body());
            assertEquals("ended", request.get("state").asText());
            assertEquals("revoked by root@example.com: INC closed", request.get("end_reason").asText());
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'access.ended' AND actor = 'root@example.com'"
                    + " AND details LIKE '%" + id + "%'"));
            assertEquals(List.of(login), texts(certificate(hals, null).get("principals")), "the grant no longer adds root");

            JsonNode again = revoked(Map.of("grant", id, "reason", "again"));
            assertFalse(again.get("grant_ended").asBoolean());
            assertEquals(0, again.get("added").asInt());
        }

        @Test
        void aPendingRequestIsNoGrant() throws Exception {
            HttpResponse<String> requested = ca.post("/v1/access-requests", token(someone("ivy"), "engineering"),
                    "{\"role\":\"prod-admin\",\"reason\":\"INC-1\",\"duration\":\"1h\"}");
            String id = JSON.readTree(requested.body()).get("id").asText();

            HttpResponse<String> response = revoke(admin, Map.of("grant", id, "reason", "x"));

            assertEquals(409, response.statusCode(), response.body());
            assertEquals("access request " + id + " is pending: it was never approved, so no certificate carries it",
                    detail(response));
        }

        @Test
        void droppingAGrantRevokesItsCertificatesBySerial() throws Exception {
            String jo = someone("jo");
            String id = grant(jo, "1h");
            String jos = token(jo, "engineering");
            String serial = certificate(jos, null).get("serial").asText();
            long before = krl().version();

            assertEquals(200, ca.delete("/v1/access-requests/" + id, jos).statusCode());

            Krl krl = krl();
            assertTrue(listsSerial(krl, serial));
            assertEquals(before + 1, krl.version());
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(serial)
                    + " AND revoked_by = 'writ' AND reason = 'grant ended: ended early by " + jo + "'"));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'revocation.created' AND actor = 'writ'"
                    + " AND details LIKE '%\"grant\":\"" + id + "\"%' AND details LIKE '%" + serial + "%'"));
        }

        @Test
        void aGrantThatReachesItsEndHasItsCertificatesRevoked() throws Exception {
            String kit = someone("kit");
            String id = grant(kit, "30m");
            String kits = token(kit, "engineering");
            String serial = certificate(kits, null).get("serial").asText();
            clock.advance(Duration.ofMinutes(31));

            JsonNode request = JSON.readTree(ca.get("/v1/access-requests/" + id, kits).body()); // reads sweep first

            assertEquals("ended", request.get("state").asText());
            assertTrue(listsSerial(krl(), serial));
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(serial)
                    + " AND revoked_by = 'writ' AND reason = 'grant ended: reached its end'"));
        }

        @Test
        void aGrantWithoutCertificatesEndsWithoutARevocation() throws Exception {
            String lou = someone("lou");
            String id = grant(lou, "1h");
            long before = krl().version();

            assertEquals(200, ca.delete("/v1/access-requests/" + id, token(lou, "engineering")).statusCode());

            assertEquals(before, krl().version());
            assertEquals(0, count("SELECT COUNT(*) FROM audit_events WHERE type = 'revocation.created'"
                    + " AND details LIKE '%" + id + "%'"));
        }
    }
}
