package dev.writ.e2e.hosts;

import static dev.writ.e2e.hosts.HostCli.writHost;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.host.HostTestCa;
import dev.writ.ca.host.MovableClock;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Ssh;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two other ways automation meets writ, with the real CLI and OpenSSH: an admin's join token
 * lets one machine bootstrap, once; and a CI job's token gets a deploy certificate with its
 * force-command, which, like an engineer's, does not open a target directly (targets trust the
 * session CA): a deploy goes through the bastion, where the force-command runs
 * ({@code e2e/.../bastion/ForceCommandTest}).
 */
class JoinAndDeployTest {

    static final String LOGIN = Sshd.currentUser();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static HostTestCa ca;
    static final MovableClock clock = new MovableClock();
    static Path adminToken;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir.resolve("ca"), idp, """
                roles:
                  - name: ci-deploy
                    match: { issuer: %2$s, claims: { project_path: infra/web, ref_protected: "true" } }
                    principals: ["%1$s"]
                    ttl: 5m
                    max_ttl: 15m
                    critical_options:
                      force-command: echo forced-by-writ
                      source-address: 127.0.0.1/32
                hosts:
                  - name: joined-machines
                    match: { issuer: "writ:join-token" }
                    hostnames: ["*.example.com"]
                    ttl: 7d
                admins:
                  - match: { groups: [writ-admins] }
                """.formatted(LOGIN, HostTestCa.ciIssuer(idp)), clock);
        adminToken = Files.writeString(dir.resolve("admin-id-token"),
                ca.personToken("alice@example.com", List.of("writ-admins")) + "\n");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    static String createJoinToken(String hostname, String ttl) {
        HostCli.Run created = writHost("token", "create", "--ca", ca.url(), "--hostname", hostname, "--ttl", ttl,
                "--id-token-file", adminToken.toString());
        assertEquals(0, created.exit(), created.toString());
        assertTrue(created.err().contains("single use; it is not shown again"), created.err());
        return created.out().strip();
    }

    static HostCli.Run bootstrap(String token, String hostname, Path into) {
        return writHost("bootstrap", "--ca", ca.url(), "--token", token, "--hostname", hostname, "--dir", into.toString());
    }

    @Test
    void aJoinTokenBootstrapsOneMachineOnce() throws Exception {
        String token = createJoinToken("web07.example.com", "30m");
        assertTrue(token.matches("wjt_[A-Za-z0-9_-]{43}"), token);

        HostCli.Run first = bootstrap(token, "web07.example.com", dir.resolve("web07"));
        assertEquals(0, first.exit(), first.toString());
        assertTrue(first.out().startsWith("host key: created " + dir.resolve("web07/ssh_host_ed25519_key") + "\n"), first.out());
        Processes.Result listing = Processes.run(List.of("ssh-keygen", "-L", "-f",
                dir.resolve("web07/ssh_host_ed25519_key-cert.pub").toString()));
        assertTrue(listing.output().contains("host certificate"), listing.output());
        assertTrue(listing.output().matches("(?s).*Principals: \\n\\s+web07.example.com\\n.*"), listing.output());

        HostCli.Run again = bootstrap(token, "web07.example.com", dir.resolve("web07-again"));
        assertEquals(11, again.exit(), again.toString());
        assertEquals("writ host bootstrap: the CA refused POST /v1/certs/host (401): join token rejected: already used\n",
                again.err());
    }

    @Test
    void anExpiredJoinTokenBootstrapsNothing() {
        String token = createJoinToken("web08.example.com", "10m");
        clock.advance(Duration.ofMinutes(11));
        HostCli.Run late = bootstrap(token, "web08.example.com", dir.resolve("web08"));
        assertEquals(11, late.exit(), late.toString());
        assertTrue(late.err().startsWith("writ host bootstrap: the CA refused POST /v1/certs/host (401): join token rejected: expired at "),
                late.err());
        assertFalse(Files.exists(dir.resolve("web08/ssh_host_ed25519_key-cert.pub")));
    }

    @Test
    void onlyAdminsCreateJoinTokens() throws Exception {
        Path engineer = Files.writeString(dir.resolve("engineer-id-token"), ca.personToken("bob@example.com", List.of("dev")));
        HostCli.Run refused = writHost("token", "create", "--ca", ca.url(), "--hostname", "web09.example.com",
                "--id-token-file", engineer.toString());
        assertEquals(11, refused.exit());
        assertEquals("writ host token create: the CA refused POST /v1/join-tokens (403): bob@example.com is not a writ admin\n",
                refused.err());
        assertEquals("", refused.out());
    }

    @Test
    void aCiJobsDeployCertificateCarriesItsForcedCommandButDoesNotOpenATargetDirectly() throws Exception {
        Path key = dir.resolve("id_deploy");
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        assertEquals(0, keygen.exitCode(), keygen.output());
        HttpResponse<String> issued = ca.post("/v1/certs/user", "Bearer " + ca.ciToken("infra/web", "main"),
                "{\"public_key\":" + JSON.writeValueAsString(Files.readString(Path.of(key + ".pub")).strip()) + "}");
        assertEquals(201, issued.statusCode(), issued.body());
        Path certificate = Files.writeString(Path.of(key + "-cert.pub"),
                JSON.readTree(issued.body()).get("certificate").asText() + "\n");
        HttpResponse<String> userCa = ca.get("/v1/ca/user.pub");
        String listing = Processes.run(List.of("ssh-keygen", "-L", "-f", certificate.toString())).output();
        assertTrue(listing.contains("force-command echo forced-by-writ"), listing);
        try (Sshd sshd = Sshd.in(dir.resolve("deploy-target")).trustedUserCaKeys(userCa.body()).start()) {
            Processes.Result result = Ssh.run(sshd.port(), LOGIN, key, certificate, "echo the-job-asked-for-this");
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Permission denied"), result.output());
            assertFalse(result.output().contains("forced-by-writ"), result.output());
            assertFalse(sshd.log().contains("Accepted"), sshd.log());
        }
    }
}
