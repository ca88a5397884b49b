package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ config}: the ssh_config block, checked by the real ssh's own parser ({@code ssh -G}). */
class SshConfigTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;

    @TempDir
    Path dir;
    TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    @BeforeEach
    void configure() {
        env = TestEnv.in(dir);
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
    }

    void bastion(String bastion) throws Exception {
        Path file = env.configDir().resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        config.put("bastion", bastion);
        Files.writeString(file, JSON.writeValueAsString(config));
    }

    /** What the real ssh makes of {@code config} for {@code host}. */
    static String sshSees(Path config, String host) throws Exception {
        Processes.Result result = Processes.run(List.of("ssh", "-G", "-F", config.toString(), host));
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }

    @Test
    void printsABlockForTheWritAgentAndTheCasHostKeysWithoutABastion() throws Exception {
        Result result = env.run("config");

        Path knownHosts = env.configDir().resolve("known_hosts");
        assertEquals(0, result.exit(), result.toString());
        assertEquals("""
                # BEGIN writ
                # Written by writ for the CA at %s; writ config --install rewrites it.
                Host *
                    IdentityAgent %s
                    UserKnownHostsFile %s %s/.ssh/known_hosts
                # END writ
                """.formatted(ca.url(), env.agentSocket(), knownHosts, env.home()), result.out());
        assertTrue(Files.readString(knownHosts).startsWith("@cert-authority * ssh-ed25519 "), Files.readString(knownHosts));
        assertEquals(ca.get("/v1/ca/known_hosts").body(), Files.readString(knownHosts));
    }

    @Test
    void jumpsThroughTheBastionWhenTheCaNamesOne() throws Exception {
        bastion("bastion.example.com:2222");
        Result result = env.run("config");
        Path block = Files.writeString(dir.resolve("block"), result.out());

        String target = sshSees(block, "web01.example.com");
        String jumpHost = sshSees(block, "bastion.example.com");

        assertTrue(target.contains("\nproxyjump bastion.example.com\n"), target);
        assertTrue(target.contains("\nidentityagent " + env.agentSocket() + "\n"), target);
        assertTrue(target.contains("\nuserknownhostsfile " + env.configDir().resolve("known_hosts") + " " + env.home()
                + "/.ssh/known_hosts\n"), target);
        assertTrue(jumpHost.contains("\nport 2222\n"), jumpHost);
        assertTrue(!jumpHost.contains("\nproxyjump bastion"), "the bastion does not jump through itself: " + jumpHost);
        assertTrue(jumpHost.contains("\nidentityagent " + env.agentSocket() + "\n"), jumpHost);
    }

    @Test
    void installsTheBlockOnceKeepsTheRestAndReplacesItWhenItChanges() throws Exception {
        Path sshConfig = env.home().resolve(".ssh/config");
        Files.createDirectories(sshConfig.getParent());
        Files.writeString(sshConfig, "Host github.com\n    User git\n");
        Files.setPosixFilePermissions(sshConfig, PosixFilePermissions.fromString("rw-r-----"));

        Result first = env.run("config", "--install");
        String installed = Files.readString(sshConfig);
        Result second = env.run("config", "--install");
        bastion("bastion.example.com");
        Result third = env.run("config", "--install");
        String replaced = Files.readString(sshConfig);

        assertEquals("Wrote the writ block into " + sshConfig + ".\n", first.out());
        assertTrue(installed.startsWith("Host github.com\n    User git\n\n# BEGIN writ\n"), installed);
        assertEquals("The writ block in " + sshConfig + " is up to date.\n", second.out());
        assertEquals("Wrote the writ block into " + sshConfig + ".\n", third.out());
        assertEquals(1, replaced.split("# BEGIN writ", -1).length - 1, replaced);
        assertTrue(replaced.startsWith("Host github.com\n    User git\n\n# BEGIN writ\n") && replaced.endsWith("# END writ\n"), replaced);
        assertTrue(replaced.contains("ProxyJump bastion.example.com"), replaced);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sshConfig)), "the user's mode is kept");
        assertTrue(sshSees(sshConfig, "github.com").contains("\nuser git\n"));
    }

    @Test
    void createsAPrivateSshConfigWhenThereIsNone() throws Exception {
        Result result = env.run("config", "--install");

        Path sshConfig = env.home().resolve(".ssh/config");
        assertEquals(0, result.exit(), result.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sshConfig)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sshConfig.getParent())));
    }

    @Test
    void readsTheBastionAddressInItsThreeForms() {
        assertEquals(new SshConfigCommand.Bastion("bastion.example.com", 2222), SshConfigCommand.Bastion.parse("bastion.example.com:2222"));
        assertEquals(new SshConfigCommand.Bastion("bastion.example.com", null), SshConfigCommand.Bastion.parse("bastion.example.com"));
        assertEquals(new SshConfigCommand.Bastion("2001:db8::7", 22), SshConfigCommand.Bastion.parse("[2001:db8::7]:22"));
        assertEquals(new SshConfigCommand.Bastion("2001:db8::7", null), SshConfigCommand.Bastion.parse("2001:db8::7"));
    }
}
