package dev.writ.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.Programs;
import dev.writ.agent.testing.SshAgentProcess;
import dev.writ.agent.testing.TestEnv;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Ssh;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --add-to-agent} with the real OpenSSH {@code ssh-agent} (one per test): the key and
 * certificate go in with a lifetime equal to the certificate's, and an agent that refuses (here
 * writ's own, which refuses every add) or is missing leads to key files instead.
 */
class SshAgentHandoffTest {

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Sshd sshd;

    @TempDir
    Path dir;
    TestEnv env;
    SshAgentProcess sshAgent;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS, java.time.Clock.systemUTC(), TestCa.DIRECT_ACCESS);
        sshd = Sshd.in(shared.resolve("sshd")).trustedUserCaKeys(ca.get("/v1/ca/user.pub").body()).start();
    }

    @AfterAll
    static void stop() {
        sshd.close();
        ca.close();
        idp.close();
    }

    @BeforeEach
    void startSshAgent() throws Exception {
        sshAgent = SshAgentProcess.start(dir.resolve("ssh-agent/socket"));
        env = TestEnv.in(dir).browser(HttpBrowser.following()).variable("SSH_AUTH_SOCK", sshAgent.socket().toString());
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
    }

    @AfterEach
    void stopSshAgent() {
        sshAgent.close();
    }

    List<String> writLines() throws Exception {
        return Programs.sshAddList(sshAgent.socket()).output().lines().filter(line -> line.contains("writ alice@example.com")).toList();
    }

    @Test
    void addsKeyAndCertificateForTheCertificatesLifetimeThenTheAgentDropsThem() throws Exception {
        TestEnv.Result login = env.run("login", "--add-to-agent", "--ttl", "5s");

        assertEquals(0, login.exit(), login.toString());
        assertTrue(login.out().matches("(?s).*Added certificate serial \\d+ \\(principals alice, " + Policies.LOGIN
                + "\\) to the ssh-agent at " + sshAgent.socket() + " for [1-5]s\\.\n"), login.out());
        List<String> listed = writLines();
        assertEquals(1, listed.size(), listed.toString());
        assertTrue(listed.get(0).matches("256 SHA256:\\S+ writ alice@example.com \\(ED25519-CERT\\)"), listed.get(0));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!writLines().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        assertEquals(List.of(), writLines(), "ssh-agent drops the key when the lifetime ends");
    }

    @Test
    void theRealSshLogsInThroughTheUsersSshAgent() throws Exception {
        assertEquals(0, env.run("login").exit());
        TestEnv.Result cert = env.run("cert", "--add-to-agent", "--ttl", "1m");

        Processes.Result ssh = Programs.ssh(sshAgent.socket(), sshd.port(), Policies.LOGIN, "echo via-ssh-agent");

        assertEquals(0, cert.exit(), cert.toString());
        assertEquals(0, ssh.exitCode(), ssh.output() + sshd.log());
        assertEquals("via-ssh-agent\n", ssh.output());
    }

    @Test
    void logoutRemovesWritsIdentitiesAndLeavesTheOthers() throws Exception {
        Path ownKey = dir.resolve("id_own");
        Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "own-key", "-f", ownKey.toString()));
        assertEquals(0, Programs.run(Map.of("SSH_AUTH_SOCK", sshAgent.socket().toString()), List.of("ssh-add", ownKey.toString())).exitCode());
        assertEquals(0, env.run("login", "--add-to-agent", "--ttl", "1m").exit());
        assertEquals(1, writLines().size());

        TestEnv.Result logout = env.run("logout");

        assertEquals(0, logout.exit(), logout.toString());
        assertTrue(logout.out().contains("Removed 1 writ identity from the ssh-agent at " + sshAgent.socket() + "."), logout.out());
        assertEquals(List.of(), writLines());
        assertTrue(Programs.sshAddList(sshAgent.socket()).output().contains("own-key"));
        assertTrue(!Files.exists(env.tokenFile()));
    }

    @Test
    void writesKeyFilesWhenTheAgentRefusesAndSshLogsInWithThem() throws Exception {
        assertEquals(0, env.run("login").exit());
        try (RunningAgent writAgent = env.startAgent(null)) {
            env.variable("SSH_AUTH_SOCK", writAgent.socket().toString());

            TestEnv.Result cert = env.run("cert", "--add-to-agent", "--ttl", "1m");

            assertEquals(0, cert.exit(), cert.toString());
            assertEquals("writ: the ssh-agent at " + writAgent.socket() + " refused the key and certificate (an agent without"
                    + " certificate or lifetime support?); writing key files instead\n", cert.err());
            Path keys = env.configDir().resolve("keys");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("id_writ"))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("id_writ-cert.pub"))));
            assertTrue(cert.out().contains("use them with: ssh -i " + keys.resolve("id_writ")), cert.out());

            Processes.Result ssh = Ssh.run(sshd.port(), Policies.LOGIN, keys.resolve("id_writ"), keys.resolve("id_writ-cert.pub"),
                    "echo with-key-files");
            assertEquals(0, ssh.exitCode(), ssh.output() + sshd.log());
            assertEquals("with-key-files\n", ssh.output());
        }
    }

    @Test
    void writesKeyFilesWhenThereIsNoSshAgent() throws Exception {
        env.variable("SSH_AUTH_SOCK", null);

        TestEnv.Result login = env.run("login", "--add-to-agent");

        assertEquals(0, login.exit(), login.toString());
        assertEquals("writ: SSH_AUTH_SOCK is not set, so there is no ssh-agent to add the certificate to; writing key files"
                + " instead\n", login.err());
        assertTrue(Files.exists(env.configDir().resolve("keys/id_writ-cert.pub")));
    }
}
