package dev.writ.ca.host;

import static dev.writ.ca.host.HostTesting.answer;
import static dev.writ.ca.host.HostTesting.detail;
import static dev.writ.ca.host.HostTesting.ed25519;
import static dev.writ.ca.host.HostTesting.json;
import static dev.writ.ca.host.HostTesting.keygenList;
import static dev.writ.ca.host.HostTesting.line;
import static dev.writ.ca.host.HostTesting.principals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.sign.Serials;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.api.RenewalProof;
import dev.writ.protocol.ssh.PublicKeys;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Renewal on proof of possession: works with the current key and certificate, and never widens anything. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostRenewalApiTest {

    /** A host as the CA left it: its key and certificate. */
    record Host(KeyPair key, String certificate) {
        long serial() throws Exception {
            return ((OpenSshCertificate) PublicKeys.parse(certificate)).getSerial();
        }

        String proof(Instant now) throws Exception {
            return RenewalProof.sign(key, certificate, TestProofs.caKey(certificate), null, now, RenewalProof.DEFAULT_LIFETIME);
        }
    }

    static final String WEB_JOB_PREFIX = "project_path:infra/web:ref_type:branch:ref:main:";

    @TempDir
    static Path dir;
    TestIdp idp;
    HostTestCa ca;
    final MovableClock clock = new MovableClock();
    Host web;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir.resolve("ca"), idp, HostCertificateApiTest.POLICY.formatted(HostTestCa.ciIssuer(idp)), clock);
        web = bootstrap(ca, "infra/web", null, "web01.example.com", "web02.example.com");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    /** A new host key and a certificate for it from a CI job of {@code project}. */
    static Host bootstrap(HostTestCa ca, String project, String ttl, String... hostnames) throws Exception {
        KeyPair key = ed25519();
        HttpResponse<String> response = ca.post("/v1/certs/host", "Bearer " + ca.ciToken(project, "main"),
                json("public_key", line(key), "hostnames", List.of(hostnames), "ttl", ttl));
        assertEquals(201, response.statusCode(), response.body());
        return new Host(key, answer(response).get("certificate").asText());
    }

    HttpResponse<String> renew(String body) throws Exception {
        return ca.post("/v1/certs/host/renew", null, body);
    }

    @Nested
    class Renewing {

        @Test
        void renewsTheCurrentKeyForTheSameHostnamesAndTheRuleTtl() throws Exception {
            HttpResponse<String> response = renew(json("proof", web.proof(clock.instant())));
            assertEquals(201, response.statusCode(), response.body());
            assertEquals(List.of("web01.example.com", "web02.example.com"), principals(response));
            String renewed = answer(response).get("certificate").asText();
            OpenSshCertificate certificate = (OpenSshCertificate) PublicKeys.parse(renewed);
            assertEquals(PublicKeys.fingerprint(web.key().getPublic()), PublicKeys.fingerprint(certificate.getCertPubKey()));
            assertNotEquals(web.serial(), certificate.getSerial());
            assertEquals("project_path:infra/web:ref_type:branch:ref:main", certificate.getId());
            long seconds = certificate.getValidBefore() - Instant.now().getEpochSecond();
            assertTrue(Math.abs(seconds - 7 * 86_400) <= 5, "valid for " + seconds + " s");
            assertTrue(keygenList(dir, renewed).contains("host certificate"));

            assertEquals(1, ca.count("SELECT COUNT(*) FROM host_certificates WHERE serial = " + certificate.getSerial()
                    + " AND rule = 'web-fleet' AND via = 'renewal' AND renewed_from = " + web.serial()));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"
                    + " AND actor = 'host project_path:infra/web:ref_type:branch:ref:main'"
                    + " AND details LIKE '%\"renewed_from\":\"" + Serials.format(web.serial()) + "\"%'"));
        }

        @Test
        void certifiesANewKeyThatTheProofNames() throws Exception {
            KeyPair next = ed25519();
            String proof = RenewalProof.sign(web.key(), web.certificate(), TestProofs.caKey(web.certificate()), line(next),
                    clock.instant(), RenewalProof.DEFAULT_LIFETIME);
            HttpResponse<String> response = renew(json("proof", proof, "public_key", line(next)));
            assertEquals(201, response.statusCode(), response.body());
            OpenSshCertificate certificate = (OpenSshCertificate) PublicKeys.parse(answer(response).get("certificate").asText());
            assertEquals(PublicKeys.fingerprint(next.getPublic()), PublicKeys.fingerprint(certificate.getCertPubKey()));
        }

        @Test
        void narrowsToFewerHostnamesAndNeverWidensAgain() throws Exception {
            HttpResponse<String> narrowed = renew(json("proof", web.proof(clock.instant()), "hostnames", List.of("web02.example.com")));
            assertEquals(201, narrowed.statusCode(), narrowed.body());
            assertEquals(List.of("web02.example.com"), principals(narrowed));
            Host renewed = new Host(web.key(), answer(narrowed).get("certificate").asText());
            HttpResponse<String> widened = renew(json("proof", renewed.proof(clock.instant()),
                    "hostnames", List.of("web01.example.com", "web02.example.com")));
            assertEquals(403, widened.statusCode(), widened.body());
            assertEquals("renewal cannot add hostnames: web01.example.com (certificate " + Serials.format(renewed.serial())
                    + " names web02.example.com)", detail(widened));
            HttpResponse<String> again = renew(json("proof", renewed.proof(clock.instant())));
            assertEquals(List.of("web02.example.com"), principals(again));
        }

        @Test
        void keepsToTheMaximumOfTheRuleThatIssuedTheFirstCertificate() throws Exception {
            Host api = bootstrap(ca, "infra/api", null, "api01.example.com");
            HttpResponse<String> tooLong = renew(json("proof", api.proof(clock.instant()), "ttl", "3d"));
            assertEquals(400, tooLong.statusCode());
            assertEquals("requested ttl 3d exceeds the maximum of 2d for host rule 'api-fleet'", detail(tooLong));
            HttpResponse<String> renewed = renew(json("proof", api.proof(clock.instant())));
            assertEquals(201, renewed.statusCode(), renewed.body());
            long seconds = Instant.parse(answer(renewed).get("valid_before").asText()).getEpochSecond() - Instant.now().getEpochSecond();
            assertTrue(Math.abs(seconds - 2 * 86_400) <= 5, "valid for " + seconds + " s");
        }
    }

    /** One way of getting renewal wrong: the body to send for the shared host, and what the CA must answer. */
    interface Attempt {
        String body(Host host, Instant now) throws Exception;
    }

    static Arguments attempt(String name, Attempt attempt, int status, String detail) {
        return Arguments.of(name, attempt, status, detail);
    }

    static Stream<Arguments> refusals() throws Exception {
        KeyPair other = ed25519();
        KeyPair foreignCa = ed25519();
        return Stream.of(
                attempt("fail/signed-with-another-key", (host, now) ->
                                json("proof", TestProofs.sign(other, TestProofs.header(), TestProofs.claims(host.certificate(), now))),
                        401, "renewal proof rejected: the signature does not verify with the certificate's key"),
                attempt("fail/certificate-of-another-ca", (host, now) -> {
                    String foreign = foreignCertificate(foreignCa, host.key(), "web01.example.com");
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), TestProofs.claims(foreign, now)));
                }, 401, "renewal proof rejected: the certificate is not signed by this CA"),
                attempt("fail/adds-a-hostname", (host, now) ->
                                json("proof", host.proof(now), "hostnames", List.of("web01.example.com", "web03.example.com")),
                        403, "renewal cannot add hostnames: web03.example.com (certificate {serial} names web01.example.com, web02.example.com)"),
                attempt("fail/ttl-above-the-rule-maximum", (host, now) -> json("proof", host.proof(now), "ttl", "31d"),
                        400, "requested ttl 31d exceeds the maximum of 30d for host rule 'web-fleet'"),
                attempt("fail/typ-of-another-jwt", (host, now) -> {
                    Map<String, Object> header = TestProofs.header();
                    header.put("typ", "JWT");
                    return json("proof", TestProofs.sign(host.key(), header, TestProofs.claims(host.certificate(), now)));
                }, 401, "renewal proof rejected: typ must be writ-renewal+jwt"),
                attempt("fail/hmac-algorithm", (host, now) -> {
                    Map<String, Object> header = TestProofs.header();
                    header.put("alg", "HS256");
                    return json("proof", TestProofs.sign(host.key(), header, TestProofs.claims(host.certificate(), now)));
                }, 401, "renewal proof rejected: algorithm not allowed"),
                attempt("fail/unsigned", (host, now) -> json("proof", "eyJhbGciOiJub25lIn0.eyJjZXJ0IjoieCJ9."),
                        401, "renewal proof rejected: malformed proof"),
                attempt("fail/garbage", (host, now) -> json("proof", "not a jwt"), 401, "renewal proof rejected: malformed proof"),
                attempt("fail/missing", (host, now) -> "{}", 401, "proof is missing: a JWT signed with the current host key"),
                attempt("fail/audience-of-another-ca", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now);
                    claims.put("aud", RenewalProof.audience(foreignCa.getPublic()));
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: audience mismatch: aud must be {audience}"),
                attempt("fail/lives-longer-than-five-minutes", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now);
                    claims.put("exp", now.plusSeconds(301).getEpochSecond());
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: the proof lives longer than 5 minutes"),
                attempt("fail/expired-proof", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now.minusSeconds(600));
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: the proof expired"),
                attempt("fail/issued-in-the-future", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now.plusSeconds(600));
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: the proof is issued in the future"),
                attempt("fail/without-exp", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now);
                    claims.remove("exp");
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: exp and iat are required"),
                attempt("fail/without-cert", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now);
                    claims.remove("cert");
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: missing cert claim"),
                attempt("fail/cert-is-a-plain-key", (host, now) -> {
                    Map<String, Object> claims = TestProofs.claims(host.certificate(), now);
                    claims.put("cert", line(host.key()));
                    return json("proof", TestProofs.sign(host.key(), TestProofs.header(), claims));
                }, 401, "renewal proof rejected: the cert claim is not an OpenSSH certificate"),
                attempt("fail/new-key-the-proof-does-not-name", (host, now) ->
                                json("proof", host.proof(now), "public_key", line(other)),
                        401, "renewal proof rejected: a new public_key must be named both in the request and in the proof"),
                attempt("fail/proof-names-another-new-key", (host, now) -> json("proof", RenewalProof.sign(host.key(),
                                host.certificate(), TestProofs.caKey(host.certificate()), line(ed25519()), now,
                                RenewalProof.DEFAULT_LIFETIME), "public_key", line(other)),
                        401, "renewal proof rejected: the proof names another public_key than the request"),
                attempt("fail/unknown-field", (host, now) -> json("proof", host.proof(now), "principals", List.of("root")),
                        400, "unknown field 'principals'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesWithAProblemAndAnAuditEventAndIssuesNothing(String name, Attempt attempt, int status, String detail)
            throws Exception {
        long certificatesBefore = ca.count("SELECT COUNT(*) FROM certificates");
        long refusalsBefore = ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                + " AND details LIKE '%/v1/certs/host/renew%'");
        HttpResponse<String> response = renew(attempt.body(web, clock.instant()));
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(detail.replace("{serial}", Serials.format(web.serial()))
                .replace("{audience}", RenewalProof.audience(TestProofs.caKey(web.certificate()))), detail(response));
        assertEquals(certificatesBefore, ca.count("SELECT COUNT(*) FROM certificates"));
        assertEquals(refusalsBefore + 1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                + " AND details LIKE '%/v1/certs/host/renew%'"));
    }

    @Test
    void refusesAUserCertificateOfThisCa() throws Exception {
        KeyPair key = ed25519();
        HttpResponse<String> issued = ca.post("/v1/certs/user", "Bearer " + ca.ciToken("infra/web", "main"),
                json("public_key", line(key)));
        String userCertificate = answer(issued).get("certificate").asText();
        HttpResponse<String> response = renew(json("proof", TestProofs.sign(key, TestProofs.header(),
                TestProofs.claims(userCertificate, clock.instant()))));
        assertEquals(401, response.statusCode());
        assertEquals("renewal proof rejected: the certificate is not a host certificate", detail(response));
    }

    /** Revoked by an admin through {@code POST /v1/revocations}, in each of the ways that name one certificate. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("revocationKinds")
    void failsOnceTheCertificateIsRevoked(String kind) throws Exception {
        // a job of its own, so that revoking its key id touches no other test's host
        String job = WEB_JOB_PREFIX + "revoked-by-" + kind;
        KeyPair key = ed25519();
        HttpResponse<String> issued = ca.post("/v1/certs/host", "Bearer " + ca.ciToken(job, Map.of("project_path",
                "infra/web", "ref", "main", "ref_type", "branch", "ref_protected", "true")),
                json("public_key", line(key), "hostnames", List.of("web05.example.com")));
        assertEquals(201, issued.statusCode(), issued.body());
        Host host = new Host(key, answer(issued).get("certificate").asText());
        assertEquals(201, renew(json("proof", host.proof(clock.instant()))).statusCode());

        Object named = switch (kind) {
            case "serial" -> Serials.format(host.serial());
            case "key_id" -> job;
            default -> line(key);
        };
        HttpResponse<String> revoked = ca.post("/v1/revocations", "Bearer " + ca.personToken("root@example.com",
                List.of("writ-admins")), json(kind, named, "reason", "host decommissioned"));
        assertEquals(200, revoked.statusCode(), revoked.body());

        HttpResponse<String> response = renew(json("proof", host.proof(clock.instant())));
        assertEquals(401, response.statusCode(), response.body());
        assertEquals("renewal proof rejected: certificate " + Serials.format(host.serial()) + " is revoked", detail(response));
    }

    static Stream<String> revocationKinds() {
        return Stream.of("serial", "key_id", "public_key");
    }

    @Test
    void failsOnceTheCertificateHasExpired() throws Exception {
        Host host = bootstrap(ca, "infra/web", "1h", "web06.example.com");
        clock.advance(Duration.ofMinutes(61));
        HttpResponse<String> response = renew(json("proof", host.proof(clock.instant())));
        assertEquals(401, response.statusCode(), response.body());
        OpenSshCertificate certificate = (OpenSshCertificate) PublicKeys.parse(host.certificate());
        assertEquals("renewal proof rejected: certificate " + Serials.format(host.serial()) + " expired at "
                + Instant.ofEpochSecond(certificate.getValidBefore()), detail(response));
    }

    /** A host certificate for {@code hostKey} from a CA that is not ours, as a throwaway {@code ssh-keygen -s} would make. */
    static String foreignCertificate(KeyPair ca, KeyPair hostKey, String hostname) throws Exception {
        OpenSshCertificate certificate = OpenSshCertificateBuilder.hostCertificate()
                .publicKey(hostKey.getPublic()).serial(42).id("impostor").principals(List.of(hostname))
                .validAfter(Instant.now().minusSeconds(60)).validBefore(Instant.now().plusSeconds(3600))
                .sign(ca, "ssh-ed25519");
        return PublicKeyEntry.toString(certificate);
    }

    /** Renewal follows the policy of the day: a rule that is gone, or no longer allows a name, renews nothing. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class WhenThePolicyChanges {

        @Test
        void refusesWhenTheIssuingRuleIsGoneOrNoLongerAllowsAHostname() throws Exception {
            Path data = dir.resolve("changing");
            String policy = HostCertificateApiTest.POLICY.formatted(HostTestCa.ciIssuer(idp));
            Host host;
            try (HostTestCa first = HostTestCa.start(data, idp, policy, clock)) {
                host = bootstrap(first, "infra/web", null, "web01.example.com", "web02.example.com");
            }
            try (HostTestCa narrowed = HostTestCa.start(data, idp, policy.replace("[\"web*.example.com\"]",
                    "[\"web01.example.com\"]"), clock)) {
                HttpResponse<String> response = narrowed.post("/v1/certs/host/renew", null, json("proof", host.proof(clock.instant())));
                assertEquals(403, response.statusCode(), response.body());
                assertEquals("hostname web02.example.com is no longer allowed for rule 'web-fleet'", detail(response));
                HttpResponse<String> fewer = narrowed.post("/v1/certs/host/renew", null,
                        json("proof", host.proof(clock.instant()), "hostnames", List.of("web01.example.com")));
                assertEquals(201, fewer.statusCode(), fewer.body());
            }
            try (HostTestCa gone = HostTestCa.start(data, idp, policy.replace("name: web-fleet", "name: web-servers"), clock)) {
                HttpResponse<String> response = gone.post("/v1/certs/host/renew", null, json("proof", host.proof(clock.instant())));
                assertEquals(403, response.statusCode(), response.body());
                assertEquals("host rule 'web-fleet' that issued certificate " + Serials.format(host.serial())
                        + " no longer exists; bootstrap the host again", detail(response));
            }
        }
    }
}
