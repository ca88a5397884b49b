package dev.writ.ca.host;

import static dev.writ.ca.host.HostTesting.answer;
import static dev.writ.ca.host.HostTesting.detail;
import static dev.writ.ca.host.HostTesting.ed25519;
import static dev.writ.ca.host.HostTesting.json;
import static dev.writ.ca.host.HostTesting.line;
import static dev.writ.protocol.ssh.SshBlobs.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.api.RenewalProof;
import dev.writ.protocol.ssh.SshBlobs;
import dev.writ.protocol.ssh.SshBlobs.Certificate;
import dev.writ.protocol.ssh.SshBlobs.Option;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /v1/certs/host/renew} whose proof carries a host certificate that OpenSSH's parser
 * would refuse: the host's own certificate, changed in one way and signed again with this CA's
 * host key where the signature would otherwise give it away. A 400 naming the problem, an audit
 * event, and nothing issued.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRenewalCertificateApiTest {

    @TempDir
    static Path dir;
    TestIdp idp;
    HostTestCa ca;
    HostRenewalApiTest.Host web;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir.resolve("ca"), idp, HostCertificateApiTest.POLICY.formatted(HostTestCa.ciIssuer(idp)),
                new MovableClock());
        web = HostRenewalApiTest.bootstrap(ca, "infra/web", null, "web01.example.com");
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    interface Change {
        void apply(Certificate certificate) throws Exception;
    }

    /** The host's certificate with one change, signed again by this CA's host key. */
    String resigned(Change change) throws Exception {
        Certificate certificate = Certificate.of(SshBlobs.blob(web.certificate()));
        change.apply(certificate);
        return certificate.signedBy(SshBlobs.keyPair(ca.keys().resolve("host_ca")), "ssh-ed25519").line();
    }

    Stream<Arguments> malformedCertificates() throws Exception {
        byte[] blob = SshBlobs.blob(web.certificate());
        Certificate forged = Certificate.of(blob);
        forged.principals = SshBlobs.list("db01.example.com".getBytes());
        forged.signatureKey = blob; // the host's own certificate, posing as a CA key
        forged.signedBy(web.key(), "ssh-ed25519");
        return Stream.of(
                row("fail/trailing-bytes-after-certificate", SshBlobs.line(concat(blob, new byte[4])),
                        "renewal proof rejected: the cert claim: 4 bytes after the end of the certificate"),
                row("fail/line-names-the-plain-key-type", SshBlobs.line("ssh-ed25519", blob),
                        "renewal proof rejected: the cert claim: the line says ssh-ed25519 but the key is"
                                + " ssh-ed25519-cert-v01@openssh.com"),
                row("fail/certificate-type-3", resigned(c -> c.certificateType = 3),
                        "renewal proof rejected: the cert claim: certificate type 3 is neither user (1) nor host (2)"),
                row("fail/principals-list-malformed", resigned(c -> c.principals = concat(SshBlobs.uint32(99), "web".getBytes())),
                        "renewal proof rejected: the cert claim: truncated principal in the certificate's principals"),
                row("fail/extension-twice", resigned(c -> c.extensions = SshBlobs.options(List.of(
                                Option.flag("permit-pty"), Option.flag("permit-pty")))),
                        "renewal proof rejected: the cert claim: the certificate's extension 'permit-pty' appears twice"),
                row("fail/signed-by-the-hosts-key-with-its-certificate-as-ca-key", forged.line(),
                        "renewal proof rejected: the cert claim: the certificate's signature key is itself a certificate"
                                + " (ssh-ed25519-cert-v01@openssh.com), not a CA key"));
    }

    static Arguments row(String name, String certificate, String detail) {
        return Arguments.of(name, certificate, detail);
    }

    /** The proof is signed with the host's key, for this CA, just now: only its certificate is wrong. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedCertificates")
    void refusesWithA400NamingTheProblemAndAuditsIt(String name, String certificate, String detail) throws Exception {
        Map<String, Object> claims = TestProofs.claims(web.certificate(), Instant.now());
        claims.put(RenewalProof.CLAIM_CERT, certificate);
        String proof = TestProofs.sign(web.key(), TestProofs.header(), claims);
        assertRefused(json("proof", proof), "bad_certificate", detail);
    }

    @Test
    void refusesANewPublicKeyWithBytesAfterIt() throws Exception {
        String next = SshBlobs.line(concat(SshBlobs.blob(line(ed25519())), new byte[3]));
        String proof = RenewalProof.sign(web.key(), web.certificate(), TestProofs.caKey(web.certificate()), next,
                Instant.now(), RenewalProof.DEFAULT_LIFETIME);
        assertRefused(json("proof", proof, "public_key", next), "bad_public_key", "public_key: 3 bytes after the end of the key");
    }

    /** What the rows change is all that is wrong: the certificate, signed again unchanged, renews. */
    @Test
    void okTheCertificateSignedAgainUnchanged() throws Exception {
        Map<String, Object> claims = TestProofs.claims(web.certificate(), Instant.now());
        claims.put(RenewalProof.CLAIM_CERT, resigned(c -> { }));
        HttpResponse<String> response = ca.post("/v1/certs/host/renew", null,
                json("proof", TestProofs.sign(web.key(), TestProofs.header(), claims)));
        assertEquals(201, response.statusCode(), response.body());
    }

    void assertRefused(String body, String reason, String detail) throws Exception {
        long certificates = ca.count("SELECT COUNT(*) FROM certificates");
        HttpResponse<String> response = ca.post("/v1/certs/host/renew", null, body);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(detail, detail(response));
        assertEquals(400, answer(response).get("status").asInt());
        JsonNode audited = lastRefusal();
        assertEquals(List.of(reason, detail, "/v1/certs/host/renew"),
                List.of(audited.get("reason").asText(), audited.get("detail").asText(), audited.get("path").asText()));
        assertEquals(certificates, ca.count("SELECT COUNT(*) FROM certificates"));
    }

    JsonNode lastRefusal() throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT details FROM audit_events WHERE type = 'request.refused' ORDER BY seq DESC LIMIT 1")) {
            rs.next();
            return HostTesting.JSON.readTree(rs.getString(1));
        }
    }
}
