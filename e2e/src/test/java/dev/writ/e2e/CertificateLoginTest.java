package dev.writ.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Ssh;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA that opts in to direct access: the real OpenSSH server trusts the CA's user key too, and the
 * real client logs in with a certificate from it, without the bastion; sshd enforces what the
 * certificate says.
 */
class CertificateLoginTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd sshd;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                roles:
                  - name: operator
                    match: { groups: [ops] }
                    principals: ["%s", "deploy"]
                    max_ttl: 1h
                    extensions: [permit-pty]
                """.formatted(LOGIN), java.time.Clock.systemUTC(), TestCa.DIRECT_ACCESS);
        HttpResponse<String> userCa = ca.get("/v1/ca/user.pub");
        assertEquals(200, userCa.statusCode());
        sshd = Sshd.in(dir.resolve("sshd")).trustedUserCaKeys(userCa.body()).start();
        token = idp.idToken("carol@example.com", List.of("ops"));
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
        ca.close();
        idp.close();
    }

    /** A fresh key from the real ssh-keygen and a certificate for it from the CA. */
    static Path[] keyAndCertificate(String name, String requestExtras) throws Exception {
        Path key = dir.resolve(name);
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        assertEquals(0, keygen.exitCode(), keygen.output());
        String publicKey = Files.readString(Path.of(key + ".pub")).strip();
        HttpResponse<String> response = ca.post("/v1/certs/user", token,
                "{\"public_key\":" + JSON.writeValueAsString(publicKey) + requestExtras + "}");
        assertEquals(201, response.statusCode(), response.body());
        JsonNode answer = JSON.readTree(response.body());
        Path certificate = Files.writeString(Path.of(key + "-cert.pub"), answer.get("certificate").asText() + "\n");
        return new Path[] {key, certificate};
    }

    @Test
    void logsInWithACertificateFromTheCa() throws Exception {
        Path[] files = keyAndCertificate("id_ok", "");
        Processes.Result result = Ssh.run(sshd.port(), LOGIN, files[0], files[1], "echo logged-in-through-writ");
        assertEquals(0, result.exitCode(), result.output() + sshd.log());
        assertTrue(result.output().contains("logged-in-through-writ"), result.output());
        assertTrue(sshd.log().contains("ID carol@example.com"), sshd.log());
    }

    @Test
    void refusesACertificateWithoutTheLoginAmongItsPrincipals() throws Exception {
        Path[] files = keyAndCertificate("id_deploy_only", ",\"principals\":[\"deploy\"]");
        Processes.Result result = Ssh.run(sshd.port(), LOGIN, files[0], files[1], "echo should-not-run");
        assertNotEquals(0, result.exitCode());
        assertTrue(result.output().contains("Permission denied"), result.output());
        assertTrue(sshd.log().contains("not in the certificate's principals") || sshd.log().contains("name is not a listed principal"),
                sshd.log());
    }

    @Test
    void refusesAnExpiredCertificate() throws Exception {
        Path[] files = keyAndCertificate("id_expiring", ",\"ttl\":\"1s\"");
        Thread.sleep(2_100);
        Processes.Result result = Ssh.run(sshd.port(), LOGIN, files[0], files[1], "echo should-not-run");
        assertNotEquals(0, result.exitCode());
        assertTrue(result.output().contains("Permission denied"), result.output());
        assertTrue(sshd.log().contains("expired") || sshd.log().contains("Certificate invalid"), sshd.log());
    }
}
