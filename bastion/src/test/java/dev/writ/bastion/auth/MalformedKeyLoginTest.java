package dev.writ.bastion.auth;

import static dev.writ.protocol.ssh.SshBlobs.concat;
import static dev.writ.protocol.ssh.SshBlobs.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.protocol.ssh.SshBlobs;
import dev.writ.protocol.ssh.SshBlobs.Certificate;
import dev.writ.protocol.ssh.SshBlobs.Option;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A publickey query whose key blob OpenSSH's parser would refuse (OpenSSH's client never sends
 * one, so a MINA client does): the bastion refuses the login before any other check, tells the
 * user in a banner, and the CA's audit log records the refusal with reason {@code malformed_key}
 * and what is wrong. The certificates are the engineer's own, issued by the CA, changed in one way
 * and signed again with the CA's user key where the signature would otherwise give them away.
 */
class MalformedKeyLoginTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
            """;
    static final String CERTIFICATE_TYPE = "ssh-ed25519-cert-v01@openssh.com";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Stack stack;
    static Engineer engineer;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), "", SessionRecorder.NONE);
        engineer = stack.engineer("alice", List.of("engineering"), "");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static byte[] issued() throws Exception {
        return SshBlobs.blob(Files.readString(engineer.certificate()));
    }

    interface Change {
        void apply(Certificate certificate) throws Exception;
    }

    /** The engineer's certificate with one change, signed again by the CA's user key. */
    static byte[] resigned(Change change) throws Exception {
        Certificate certificate = Certificate.of(issued());
        change.apply(certificate);
        return certificate.signedBy(SshBlobs.keyPair(stack.ca.keys().resolve("user_ca")), "ssh-ed25519").encode();
    }

    static List<Option> swapFirstTwo(List<Option> options) {
        List<Option> swapped = new ArrayList<>(options);
        swapped.set(0, options.get(1));
        swapped.set(1, options.get(0));
        return swapped;
    }

    static Stream<Arguments> malformedKeys() throws Exception {
        byte[] certificate = issued();
        Certificate forged = Certificate.of(certificate);
        forged.signatureKey = certificate; // the engineer's own certificate, posing as a CA key
        forged.signedBy(SshBlobs.keyPair(engineer.key()), "ssh-ed25519");
        byte[] plainKey = SshBlobs.blob(Files.readString(Path.of(engineer.key() + ".pub")));
        return Stream.of(
                row("fail/trailing-bytes-after-certificate", CERTIFICATE_TYPE, concat(certificate, new byte[4]),
                        "4 bytes after the end of the certificate"),
                row("fail/algorithm-names-another-key-type", "ssh-ed25519", certificate,
                        "algorithm ssh-ed25519 offered with a ssh-ed25519-cert-v01@openssh.com key"),
                row("fail/certificate-cut-short", CERTIFICATE_TYPE, Arrays.copyOf(certificate, 100),
                        "truncated Ed25519 key in the certificate"),
                row("fail/certified-key-33-bytes", CERTIFICATE_TYPE, resigned(c -> c.key.set(0, new byte[33])),
                        "the Ed25519 key is 33 bytes long, not 32"),
                row("fail/extensions-not-in-order", CERTIFICATE_TYPE, resigned(c -> c.extensions = SshBlobs.options(
                                swapFirstTwo(SshBlobs.options(c.extensions)))),
                        "the certificate's extensions are not in order: 'logins@writ' comes after 'permit-port-forwarding'"),
                row("fail/critical-option-twice", CERTIFICATE_TYPE, resigned(c -> c.criticalOptions = SshBlobs.options(List.of(
                                Option.text("source-address", "0.0.0.0/0"), Option.text("source-address", "127.0.0.1/32")))),
                        "the certificate's critical option 'source-address' appears twice"),
                row("fail/signed-by-the-engineers-key-with-its-certificate-as-ca-key", CERTIFICATE_TYPE, forged.encode(),
                        "the certificate's signature key is itself a certificate (ssh-ed25519-cert-v01@openssh.com), not a CA key"),
                row("fail/trailing-bytes-after-plain-key", "ssh-ed25519", concat(plainKey, new byte[1]),
                        "1 byte after the end of the key"),
                row("fail/unknown-key-type", "ssh-foo", concat(string("ssh-foo"), string(new byte[32])),
                        "unknown key type 'ssh-foo'"));
    }

    static Arguments row(String name, String algorithm, byte[] blob, String detail) {
        return Arguments.of(name, algorithm, blob, detail);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedKeys")
    void refusesTheLoginTellsTheUserAndAuditsWhy(String name, String algorithm, byte[] blob, String detail) throws Exception {
        long lastEvent = lastAuditEvent();
        PublicKeyQuery.Outcome outcome = PublicKeyQuery.send(stack.bastion.port(), Stack.LOGIN + "@web01", algorithm, blob);
        assertFalse(outcome.keyAccepted(), "the bastion answered PK_OK");
        assertFalse(outcome.authenticated());
        assertEquals(List.of("writ: the key offered is malformed"), outcome.banners());
        JsonNode refusal = awaitRefusalAfter(lastEvent);
        assertEquals("malformed_key", refusal.get("reason").asText(), refusal.toString());
        assertEquals(detail, refusal.get("detail").asText(), refusal.toString());
    }

    /** The same query with the engineer's certificate as the CA issued it: the bastion would take it. */
    @Test
    void okTheIssuedCertificateIsAcceptedAsIs() throws Exception {
        PublicKeyQuery.Outcome outcome = PublicKeyQuery.send(stack.bastion.port(), Stack.LOGIN + "@web01", CERTIFICATE_TYPE,
                issued());
        assertTrue(outcome.keyAccepted(), "the bastion did not answer PK_OK");
        assertEquals(List.of(), outcome.banners());
    }

    static long lastAuditEvent() throws Exception {
        return stack.count("SELECT COALESCE(MAX(seq), 0) FROM audit_events");
    }

    /** The bastion's first login.refused event after event {@code seq}, as the CA recorded it, once it arrives. */
    static JsonNode awaitRefusalAfter(long seq) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Connection c = stack.ca.sql(); PreparedStatement query = c.prepareStatement("SELECT details FROM audit_events"
                    + " WHERE type = 'bastion.login.refused' AND seq > ? ORDER BY seq LIMIT 1")) {
                query.setLong(1, seq);
                try (ResultSet rs = query.executeQuery()) {
                    if (rs.next()) {
                        return JSON.readTree(rs.getString(1));
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no bastion.login.refused event within 10 s");
    }
}
