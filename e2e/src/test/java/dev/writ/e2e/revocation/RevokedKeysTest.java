package dev.writ.e2e.revocation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Ssh;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KRL of {@code GET /v1/krl} as OpenSSH reads it: a certificate revoked through
 * {@code POST /v1/revocations} by serial, by key id or by key is reported revoked by the real
 * {@code ssh-keygen -Q} and refused by a real sshd whose {@code RevokedKeys} is the fetched KRL,
 * while an unrevoked certificate passes both.
 */
class RevokedKeysTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String LOGIN = Sshd.currentUser();

    /** How an admin names the certificate. */
    enum Kind { SERIAL, KEY_ID, KEY }

    /** Someone with a key (ssh-keygen) and a certificate for it from the CA. */
    record Holder(String email, Path key, Path certificate, String serial) {
        Path publicKey() {
            return Path.of(key + ".pub");
        }
    }

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd sshd;
    static Path krl;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["%s"]
                    max_ttl: 1h
                admins:
                  - match: { groups: [writ-admins] }
                """.formatted(LOGIN), java.time.Clock.systemUTC(), TestCa.DIRECT_ACCESS);
        admin = idp.idToken("root@example.com", List.of("writ-admins"));
        krl = dir.resolve("revoked.krl");
        fetchKrl();
        sshd = Sshd.in(dir.resolve("sshd")).trustedUserCaKeys(ca.get("/v1/ca/user.pub").body())
                .option("RevokedKeys " + krl).start();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
        ca.close();
        idp.close();
    }

    /** {@code GET /v1/krl} into the file sshd reads (replaced whole, as a deployment's cron job would). */
    static long fetchKrl() throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/krl")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        Path next = Files.write(dir.resolve("revoked.krl.new"), response.body());
        Files.move(next, krl, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return Long.parseLong(response.headers().firstValue("X-Writ-Krl-Version").orElseThrow());
    }

    static Holder holder(String name) throws Exception {
        String email = name + "@example.com";
        Path key = dir.resolve(name);
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        assertEquals(0, keygen.exitCode(), keygen.output());
        HttpResponse<String> response = ca.post("/v1/certs/user", idp.idToken(email, List.of("engineering")),
                JSON.writeValueAsString(Map.of("public_key", Files.readString(Path.of(key + ".pub")).strip())));
        assertEquals(201, response.statusCode(), response.body());
        JsonNode answer = JSON.readTree(response.body());
        Path certificate = Files.writeString(Path.of(key + "-cert.pub"), answer.get("certificate").asText() + "\n");
        return new Holder(email, key, certificate, answer.get("serial").asText());
    }

    static Processes.Result query(Path keyOrCertificate) throws Exception {
        return Processes.run(List.of("ssh-keygen", "-Q", "-f", krl.toString(), keyOrCertificate.toString()));
    }

    static Processes.Result login(Holder holder) throws Exception {
        return Ssh.run(sshd.port(), LOGIN, holder.key(), holder.certificate(), "echo logged-in");
    }

    /** sshd's log lines about a key in the KRL ("... revoked by file ..."). */
    static long revokedLines() throws Exception {
        return sshd.log().lines().filter(line -> line.contains("revoked by file " + krl)).count();
    }

    static void assertRevoked(Path keyOrCertificate) throws Exception {
        Processes.Result result = query(keyOrCertificate);
        assertEquals(1, result.exitCode(), result.output());
        assertTrue(result.output().startsWith(keyOrCertificate.toString()) && result.output().endsWith(": REVOKED\n"),
                result.output());
    }

    static void assertNotRevoked(Path keyOrCertificate) throws Exception {
        Processes.Result result = query(keyOrCertificate);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().startsWith(keyOrCertificate.toString()) && result.output().endsWith(": ok\n"),
                result.output());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aRevokedCertificateIsRevokedForSshKeygenAndRefusedBySshdWhileAnotherPasses(Kind kind) throws Exception {
        Holder revoked = holder("revoked-by-" + kind.name().toLowerCase());
        Holder untouched = holder("untouched-" + kind.name().toLowerCase());
        fetchKrl();
        assertNotRevoked(revoked.certificate());
        assertEquals("logged-in\n", login(revoked).output(), "before the revocation");

        Map<String, String> body = switch (kind) {
            case SERIAL -> Map.of("serial", revoked.serial(), "reason", "laptop stolen");
            case KEY_ID -> Map.of("key_id", revoked.email(), "reason", "left the company");
            case KEY -> Map.of("public_key", Files.readString(revoked.publicKey()).strip(), "reason", "key leaked");
        };
        HttpResponse<String> revocation = ca.post("/v1/revocations", admin, JSON.writeValueAsString(body));
        assertEquals(200, revocation.statusCode(), revocation.body());
        long version = fetchKrl();
        assertEquals(JSON.readTree(revocation.body()).get("krl_version").asLong(), version);

        assertRevoked(revoked.certificate());
        if (kind == Kind.KEY) {
            assertRevoked(revoked.publicKey()); // the plain key as well
        }
        long refusalsBefore = revokedLines();
        Processes.Result refused = login(revoked);
        assertEquals(255, refused.exitCode(), refused.output());
        assertTrue(revokedLines() > refusalsBefore, "sshd names the KRL as the reason: " + sshd.log());

        assertNotRevoked(untouched.certificate());
        Processes.Result passes = login(untouched);
        assertEquals(0, passes.exitCode(), passes.output() + sshd.log());
        assertEquals("logged-in\n", passes.output());
    }
}
