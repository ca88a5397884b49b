package dev.writ.ca.session;

import static dev.writ.protocol.ssh.SshBlobs.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.ssh.SshBlobs;
import dev.writ.protocol.ssh.SshBlobs.Certificate;
import dev.writ.protocol.ssh.SshBlobs.Option;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
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
 * {@code POST /v1/certs/session} with a user_certificate that OpenSSH's parser would refuse. The
 * certificate is one this CA issued, changed in one way and, where the signature would otherwise
 * give it away, signed again with this CA's user key: only the encoding is wrong, and that alone
 * earns a 400 naming it, an audit event, and no session certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedUserCertificateApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
                critical_options: { source-address: "127.0.0.0/8" }
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    TestBastion bastion;
    /** The engineer's key (from ssh-keygen) and the user certificate this CA issued for it. */
    KeyPair engineer;
    String issued;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = TestBastion.ed25519("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                "bastions:\n" + bastion.registration(List.of("bastion.test", "web*")));
        Path key = dir.resolve("engineer");
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key.toString()))
                .exitCode());
        engineer = SshBlobs.keyPair(key);
        HttpResponse<String> response = ca.post("/v1/certs/user", idp.idToken("alice@example.com", List.of("engineering")),
                JSON.writeValueAsString(Map.of("public_key", Files.readString(Path.of(key + ".pub")).strip())));
        assertEquals(201, response.statusCode(), response.body());
        issued = JSON.readTree(response.body()).get("certificate").asText();
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    interface Change {
        void apply(Certificate certificate) throws Exception;
    }

    /** The issued certificate with one change, signed again by this CA's user key. */
    String resigned(Change change) throws Exception {
        Certificate certificate = Certificate.of(SshBlobs.blob(issued));
        change.apply(certificate);
        return certificate.signedBy(SshBlobs.keyPair(ca.keys().resolve("user_ca")), "ssh-ed25519").line();
    }

    static List<Option> swapFirstTwo(List<Option> options) {
        List<Option> swapped = new ArrayList<>(options);
        swapped.set(0, options.get(1));
        swapped.set(1, options.get(0));
        return swapped;
    }

    Stream<Arguments> malformedCertificates() throws Exception {
        byte[] blob = SshBlobs.blob(issued);
        Certificate forged = Certificate.of(blob);
        forged.signatureKey = blob; // the engineer's own certificate, posing as a CA key
        forged.signedBy(engineer, "ssh-ed25519");
        Certificate badSignature = Certificate.of(blob);
        badSignature.signature = concat(badSignature.signature, new byte[2]);
        return Stream.of(
                row("fail/trailing-bytes-after-certificate", SshBlobs.line(concat(blob, new byte[4])),
                        "user_certificate: 4 bytes after the end of the certificate"),
                row("fail/line-names-the-plain-key-type", SshBlobs.line("ssh-ed25519", blob),
                        "user_certificate: the line says ssh-ed25519 but the key is ssh-ed25519-cert-v01@openssh.com"),
                row("fail/certified-key-33-bytes", resigned(c -> c.key.set(0, new byte[33])),
                        "user_certificate: the Ed25519 key is 33 bytes long, not 32"),
                row("fail/principals-list-malformed", resigned(c -> c.principals = concat(SshBlobs.uint32(9), "alice".getBytes())),
                        "user_certificate: truncated principal in the certificate's principals"),
                row("fail/critical-option-twice", resigned(c -> c.criticalOptions = SshBlobs.options(List.of(
                                Option.text("source-address", "127.0.0.0/8"), Option.text("source-address", "0.0.0.0/0")))),
                        "user_certificate: the certificate's critical option 'source-address' appears twice"),
                row("fail/critical-options-not-in-order", resigned(c -> c.criticalOptions = SshBlobs.options(List.of(
                                Option.text("source-address", "127.0.0.0/8"), Option.text("force-command", "/bin/true")))),
                        "user_certificate: the certificate's critical options are not in order: 'force-command' comes after"
                                + " 'source-address'"),
                row("fail/extensions-not-in-order", resigned(c -> c.extensions = SshBlobs.options(
                                swapFirstTwo(SshBlobs.options(c.extensions)))),
                        "user_certificate: the certificate's extensions are not in order: 'logins@writ' comes after"
                                + " 'permit-port-forwarding'"),
                row("fail/extension-twice", resigned(c -> {
                    List<Option> extensions = new ArrayList<>(SshBlobs.options(c.extensions));
                    extensions.add(extensions.get(extensions.size() - 1));
                    c.extensions = SshBlobs.options(extensions);
                }), "user_certificate: the certificate's extension 'roles@writ' appears twice"),
                row("fail/signed-by-the-engineers-key-with-its-certificate-as-ca-key", forged.line(),
                        "user_certificate: the certificate's signature key is itself a certificate"
                                + " (ssh-ed25519-cert-v01@openssh.com), not a CA key"),
                row("fail/trailing-bytes-after-signature", badSignature.line(),
                        "user_certificate: 2 bytes after the end of the certificate's signature"));
    }

    static Arguments row(String name, String certificate, String detail) {
        return Arguments.of(name, certificate, detail);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedCertificates")
    void refusesWithA400NamingTheProblemAndAuditsIt(String name, String certificate, String detail) throws Exception {
        assertRefused(certificate, bastion.publicKeyLine(), "bad_certificate", detail);
    }

    @Test
    void refusesASessionPublicKeyWithBytesAfterIt() throws Exception {
        String key = SshBlobs.line(concat(SshBlobs.blob(bastion.publicKeyLine()), new byte[3]));
        assertRefused(issued, key, "bad_public_key", "public_key: 3 bytes after the end of the key");
    }

    /** What the rows change is all that is wrong: the issued certificate, signed again unchanged, gets its session. */
    @Test
    void okTheIssuedCertificateSignedAgainUnchanged() throws Exception {
        HttpResponse<String> response = session(resigned(c -> { }), bastion.publicKeyLine());
        assertEquals(201, response.statusCode(), response.body());
    }

    HttpResponse<String> session(String certificate, String publicKey) throws Exception {
        return ca.post("/v1/certs/session", bastion.assertion(), JSON.writeValueAsString(Map.of("user_certificate", certificate,
                "principal", "alice", "target", "web01", "session_id", "s-" + System.nanoTime(), "public_key", publicKey)));
    }

    void assertRefused(String certificate, String publicKey, String reason, String detail) throws Exception {
        long sessionCertificates = count("SELECT COUNT(*) FROM certificates WHERE kind = 'session'");
        HttpResponse<String> response = session(certificate, publicKey);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(detail, JSON.readTree(response.body()).get("detail").asText());
        JsonNode audited = lastRefusal();
        assertEquals(List.of(reason, detail, "/v1/certs/session"),
                List.of(audited.get("reason").asText(), audited.get("detail").asText(), audited.get("path").asText()));
        assertEquals(sessionCertificates, count("SELECT COUNT(*) FROM certificates WHERE kind = 'session'"));
    }

    JsonNode lastRefusal() throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT details FROM audit_events WHERE type = 'request.refused' ORDER BY seq DESC LIMIT 1")) {
            rs.next();
            return JSON.readTree(rs.getString(1));
        }
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
