package dev.writ.ca.http;

import static dev.writ.protocol.ssh.SshBlobs.concat;
import static dev.writ.protocol.ssh.SshBlobs.string;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.ssh.SshBlobs;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /v1/certs/user} with a public_key that OpenSSH's parser would refuse: each is a 400
 * naming the problem, audited, and nothing is signed. The keys come from the real ssh-keygen,
 * each re-encoded with one change.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedPublicKeyApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
                extensions: [permit-pty]
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    String token;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY);
        token = idp.idToken("alice@example.com", List.of("engineering"));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    /** A fresh key made by ssh-keygen, as an OpenSSH line. */
    static String keygen(String name, String... typeAndBits) throws Exception {
        Path file = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-N", "", "-C", "", "-f", file.toString()));
        command.addAll(List.of(typeAndBits));
        assertEquals(0, Processes.run(command).exitCode());
        return Files.readString(Path.of(file + ".pub")).strip();
    }

    /** {@code key} with its string number {@code index} (0 is the type name) replaced. */
    static String changed(String key, int index, byte[] replacement) {
        List<byte[]> strings = new ArrayList<>(SshBlobs.strings(SshBlobs.blob(key)));
        strings.set(index, replacement);
        return SshBlobs.line(SshBlobs.strings(strings));
    }

    Stream<Arguments> malformedKeys() throws Exception {
        String ed25519 = keygen("ed25519", "-t", "ed25519");
        String ecdsa = keygen("ecdsa", "-t", "ecdsa", "-b", "256");
        String rsa = keygen("rsa", "-t", "rsa", "-b", "2048");
        List<byte[]> rsaStrings = SshBlobs.strings(SshBlobs.blob(rsa));
        byte[] offCurve = SshBlobs.strings(SshBlobs.blob(ecdsa)).get(2);
        offCurve[offCurve.length - 1] ^= 1;
        // a certificate whose "CA key" is itself a certificate (of a key that a CA certified)
        keygen("some-ca", "-t", "ed25519");
        keygen("ca2", "-t", "ed25519");
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-s", dir.resolve("some-ca").toString(), "-I", "ca2",
                dir.resolve("ca2.pub").toString())).exitCode());
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-s", dir.resolve("ca2").toString(), "-I", "alice",
                "-n", "alice", dir.resolve("ed25519.pub").toString())).exitCode());
        byte[] certificate = SshBlobs.blob(Files.readString(dir.resolve("ed25519-cert.pub")));
        SshBlobs.Certificate chained = SshBlobs.Certificate.of(certificate);
        chained.signatureKey = SshBlobs.blob(Files.readString(dir.resolve("ca2-cert.pub")));
        chained.signedBy(SshBlobs.keyPair(dir.resolve("ca2")), "ssh-ed25519");
        return Stream.of(
                Arguments.of("fail/trailing-bytes-after-key", SshBlobs.line(concat(SshBlobs.blob(ed25519), new byte[3])),
                        "public_key: 3 bytes after the end of the key"),
                Arguments.of("fail/line-type-differs-from-blob-type", SshBlobs.line("ssh-rsa", SshBlobs.blob(ed25519)),
                        "public_key: the line says ssh-rsa but the key is ssh-ed25519"),
                Arguments.of("fail/unknown-key-type", SshBlobs.line(concat(string("ssh-foo"), string(new byte[32]))),
                        "public_key: unknown key type 'ssh-foo'"),
                Arguments.of("fail/ed25519-key-31-bytes", changed(ed25519, 1, new byte[31]),
                        "public_key: the Ed25519 key is 31 bytes long, not 32"),
                Arguments.of("fail/ecdsa-curve-not-the-types", changed(ecdsa, 1, "nistp521".getBytes()),
                        "public_key: the ECDSA curve 'nistp521' is not the curve of ecdsa-sha2-nistp256"),
                Arguments.of("fail/ecdsa-point-not-on-the-curve", changed(ecdsa, 2, offCurve),
                        "public_key: the ECDSA point is not on curve nistp256"),
                Arguments.of("fail/rsa-exponent-negative", changed(rsa, 1, new byte[] {(byte) 0x81, 0, 1}),
                        "public_key: the RSA exponent is negative"),
                Arguments.of("fail/rsa-modulus-padded-with-zero", changed(rsa, 2, concat(new byte[1], rsaStrings.get(2))),
                        "public_key: the RSA modulus has an unnecessary leading zero byte"),
                Arguments.of("fail/trailing-bytes-after-certificate", SshBlobs.line(concat(certificate, new byte[4])),
                        "public_key: 4 bytes after the end of the certificate"),
                Arguments.of("fail/certificate-whose-ca-key-is-a-certificate", chained.line(),
                        "public_key: the certificate's signature key is itself a certificate (ssh-ed25519-cert-v01@openssh.com),"
                                + " not a CA key"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedKeys")
    void refusesWithA400NamingTheProblemAndAuditsIt(String name, String key, String detail) throws Exception {
        long certificates = count("SELECT COUNT(*) FROM certificates");
        HttpResponse<String> response = ca.post("/v1/certs/user", token, JSON.writeValueAsString(Map.of("public_key", key)));
        assertEquals(400, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode problem = JSON.readTree(response.body());
        assertEquals(detail, problem.get("detail").asText());
        assertEquals(400, problem.get("status").asInt());
        JsonNode audited = lastRefusal();
        assertEquals(Arrays.asList("bad_public_key", detail, "/v1/certs/user"),
                Arrays.asList(audited.get("reason").asText(), audited.get("detail").asText(), audited.get("path").asText()));
        assertEquals(certificates, count("SELECT COUNT(*) FROM certificates"));
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
