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
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real sshd presents a host certificate that {@code writ host bootstrap} got from the CA; the
 * real ssh, with {@code StrictHostKeyChecking=yes} and nothing in known_hosts but the CA's
 * {@code @cert-authority} line, connects without a prompt, and refuses a certificate from any
 * other CA or for any other name.
 */
class HostCertificateTrustTest {

    static final String LOGIN = Sshd.currentUser();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static HostTestCa ca;
    static Sshd writSshd;
    static Sshd foreignSshd;
    static Path knownHosts;
    static Path[] user;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir.resolve("ca"), idp, """
                roles:
                  - name: operator
                    match: { groups: [ops] }
                    principals: ["%1$s"]
                    max_ttl: 1h
                hosts:
                  - name: web-fleet
                    match: { issuer: %2$s, claims: { project_path: infra/web, ref: main } }
                    hostnames: ["web*.example.com"]
                  - name: databases
                    match: { issuer: %2$s, claims: { project_path: infra/db, ref: main } }
                    hostnames: ["db??.example.com"]
                """.formatted(LOGIN, HostTestCa.ciIssuer(idp)), new MovableClock(), TestCa.DIRECT_ACCESS);

        // the machine: its pipeline's workload token in a file, and writ host bootstrap into sshd's directory
        Path sshdDir = dir.resolve("web01");
        Path workloadToken = Files.writeString(dir.resolve("workload-token"), ca.ciToken("infra/web", "main") + "\n");
        HostCli.Run bootstrap = writHost("bootstrap", "--ca", ca.url(), "--workload-token-file", workloadToken.toString(),
                "--hostname", "web01.example.com", "--dir", sshdDir.toString());
        assertEquals(0, bootstrap.exit(), bootstrap.toString());
        writSshd = Sshd.in(sshdDir)
                .trustedUserCaKeys(Files.readString(sshdDir.resolve("writ_user_ca.pub")))
                .hostCertificate(sshdDir.resolve("ssh_host_ed25519_key-cert.pub"))
                .start();

        // an impostor: the same name, certified by a throwaway CA made with ssh-keygen
        Path foreignDir = Files.createDirectories(dir.resolve("impostor"));
        keygen("-q", "-t", "ed25519", "-N", "", "-f", foreignDir.resolve("throwaway_ca").toString());
        keygen("-q", "-t", "ed25519", "-N", "", "-f", foreignDir.resolve("ssh_host_ed25519_key").toString());
        keygen("-q", "-s", foreignDir.resolve("throwaway_ca").toString(), "-h", "-I", "impostor", "-n", "web01.example.com",
                "-V", "-5m:+1h", foreignDir.resolve("ssh_host_ed25519_key.pub").toString());
        foreignSshd = Sshd.in(foreignDir)
                .trustedUserCaKeys(Files.readString(sshdDir.resolve("writ_user_ca.pub")))
                .hostCertificate(foreignDir.resolve("ssh_host_ed25519_key-cert.pub"))
                .start();

        // the user: only the CA's known_hosts lines, and a user certificate to log in with
        HttpResponse<String> lines = ca.get("/v1/ca/known_hosts");
        assertEquals(200, lines.statusCode());
        knownHosts = Files.writeString(dir.resolve("known_hosts"), lines.body());
        user = userCertificate();
    }

    @AfterAll
    static void stop() {
        for (Sshd sshd : new Sshd[] {writSshd, foreignSshd}) {
            if (sshd != null) {
                sshd.close();
            }
        }
        ca.close();
        idp.close();
    }

    static void keygen(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ssh-keygen"));
        command.addAll(List.of(args));
        Processes.Result result = Processes.run(command);
        assertEquals(0, result.exitCode(), result.output());
    }

    static Path[] userCertificate() throws Exception {
        Path key = dir.resolve("id_user");
        keygen("-q", "-t", "ed25519", "-N", "", "-f", key.toString());
        HttpResponse<String> response = ca.post("/v1/certs/user", "Bearer " + ca.personToken("carol@example.com", List.of("ops")),
                "{\"public_key\":" + JSON.writeValueAsString(Files.readString(Path.of(key + ".pub")).strip()) + "}");
        assertEquals(201, response.statusCode(), response.body());
        Path certificate = Files.writeString(Path.of(key + "-cert.pub"),
                JSON.readTree(response.body()).get("certificate").asText() + "\n");
        return new Path[] {key, certificate};
    }

    /** The real ssh, strict about host keys, naming the host by {@code hostname} (the certificate's principal). */
    static Processes.Result ssh(Sshd sshd, String hostname) throws Exception {
        List<String> command = Ssh.baseCommand(sshd.port(), knownHosts);
        command.addAll(List.of("-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlias=" + hostname,
                "-i", user[0].toString(), "-o", "CertificateFile=" + user[1], LOGIN + "@127.0.0.1", "echo reached-" + hostname));
        return Processes.run(command, 30);
    }

    @Test
    void theKnownHostsLinesNameTheCaForThePolicysPatternsOnly() throws Exception {
        String hostCa = Files.readString(ca.keys().resolve("host_ca.pub")).split(" writ")[0];
        assertEquals("@cert-authority web*.example.com,db??.example.com,[web*.example.com]:*,[db??.example.com]:* "
                + hostCa + "\n", Files.readString(knownHosts));
    }

    static Stream<Arguments> connections() {
        return Stream.of(
                Arguments.of("ok/writ-certificate-for-the-name", "writ", "web01.example.com", null),
                Arguments.of("fail/certificate-from-another-ca", "impostor", "web01.example.com", "Host key verification failed."),
                Arguments.of("fail/name-not-in-the-certificate", "writ", "web02.example.com", "Host key verification failed."),
                Arguments.of("fail/name-outside-the-policy", "writ", "web01.example.org", "Host key verification failed."));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("connections")
    void sshTrustsOnlyWritHostCertificatesForTheirNames(String name, String server, String hostname, String failure)
            throws Exception {
        Processes.Result result = ssh(server.equals("writ") ? writSshd : foreignSshd, hostname);
        if (failure == null) {
            assertEquals(0, result.exitCode(), result.output() + writSshd.log());
            assertEquals("reached-" + hostname + "\n", result.output(), "no prompt, no warning");
        } else {
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains(failure), result.output());
            assertFalse(result.output().contains("reached-"), result.output());
        }
        assertFalse(Files.readString(knownHosts).contains("[127.0.0.1]"), "ssh must not have learnt a key");
    }

    @Test
    void aRenewedCertificateIsTrustedLikeTheFirst() throws Exception {
        Path sshdDir = dir.resolve("web01");
        String before = Files.readString(sshdDir.resolve("ssh_host_ed25519_key-cert.pub"));
        HostCli.Run nothing = writHost("renew", "--dir", sshdDir.toString());
        assertEquals(0, nothing.exit(), nothing.toString());
        assertTrue(nothing.out().startsWith("nothing to do: certificate "), nothing.out());

        HostCli.Run renewed = writHost("renew", "--dir", sshdDir.toString(), "--force");
        assertEquals(0, renewed.exit(), renewed.toString());
        assertTrue(renewed.out().startsWith("renewed: host certificate "), renewed.out());
        assertNotEquals(before, Files.readString(sshdDir.resolve("ssh_host_ed25519_key-cert.pub")));
        // sshd reads its certificate when it starts: a second sshd on the same files presents the renewed one
        try (Sshd restarted = Sshd.in(sshdDir)
                .trustedUserCaKeys(Files.readString(sshdDir.resolve("writ_user_ca.pub")))
                .hostCertificate(sshdDir.resolve("ssh_host_ed25519_key-cert.pub"))
                .start()) {
            Processes.Result result = ssh(restarted, "web01.example.com");
            assertEquals(0, result.exitCode(), result.output() + restarted.log());
            assertEquals("reached-web01.example.com\n", result.output());
        }
    }
}
