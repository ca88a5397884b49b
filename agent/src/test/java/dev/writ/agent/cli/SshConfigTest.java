package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ config}: the ssh_config block, checked by the real ssh's own parser ({@code ssh -G}). */
class SshConfigTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Engineers reach {@code *.example.com} by name and others by label; {@code login.targets} names {@code demo}. */
    static final String ROUTED_POLICY = Policies.ENGINEERS + """
                targets:
                  - hosts: ["*.example.com"]
                  - labels: { env: dev }
            """;

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
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), ROUTED_POLICY, Clock.systemUTC(), """
                login:
                  targets: [demo]
                """);
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
                Host *.example.com demo
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
    void routesOnlyTheTargetsTheCaNamesThroughTheBastion() throws Exception {
        bastion("bastion.example.com:2222");
        Path sshConfig = env.home().resolve(".ssh/config");
        Files.createDirectories(sshConfig.getParent());
        Files.writeString(sshConfig, "Host github.com\n    User git\n");

        Result result = env.run("config", "--install");
        String loginConfig = ca.get("/v1/login-config").body();

        assertEquals(0, result.exit(), result.toString());
        assertTrue(JSON.readTree(loginConfig).get("targets").toString().equals("[\"*.example.com\",\"demo\"]"), loginConfig);
        for (String served : List.of("demo", "web01.example.com")) {
            String seen = sshSees(sshConfig, served);
            assertTrue(seen.contains("\nproxyjump bastion.example.com\n"), served + ": " + seen);
            assertTrue(seen.contains("\nidentityagent " + env.agentSocket() + "\n"), served + ": " + seen);
        }
        for (String other : List.of("github.com", "example.org", "demo.example.org")) {
            String seen = sshSees(sshConfig, other);
            assertTrue(!seen.contains("\nproxyjump "), other + " is left alone: " + seen);
            assertTrue(!seen.contains("\nidentityagent " + env.agentSocket()), other + " is left alone: " + seen);
        }
        assertTrue(sshSees(sshConfig, "github.com").contains("\nuser git\n"));
    }

    @Test
    void hostsGivenOnTheCommandLineReplaceTheCasTargets() throws Exception {
        bastion("bastion.example.com");
        Result given = env.run("config", "--hosts", "db?.internal !db9.internal");
        Result bad = env.run("config", "--hosts", "db1 ProxyCommand=x");
        Path block = Files.writeString(dir.resolve("block"), given.out());

        assertEquals(0, given.exit(), given.toString());
        assertTrue(sshSees(block, "db1.internal").contains("\nproxyjump bastion.example.com\n"));
        assertTrue(!sshSees(block, "db9.internal").contains("\nproxyjump "));
        assertTrue(!sshSees(block, "web01.example.com").contains("\nproxyjump "));
        assertEquals(2, bad.exit(), bad.toString());
        assertEquals("", bad.out());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("ProxyCommand=x is not a host name or pattern"), bad.err());
    }

    @Test
    void aBastionWithoutNamedTargetsAsksForHosts() throws Exception {
        WritException none = org.junit.jupiter.api.Assertions.assertThrows(WritException.class,
                () -> RoutedHosts.choose(null, true, List::of, "https://ca.example.com"));
        assertEquals(Exit.USAGE, none.exit());
        assertTrue(none.getMessage().contains("names no targets"), none.getMessage());
        assertEquals("*", RoutedHosts.choose(null, false, List::of, "https://ca.example.com"), "direct access keeps every host");
        assertEquals("a b?", RoutedHosts.choose(null, true, () -> List.of("a", "b?", "bad word"), "https://ca.example.com"));
    }

    @Test
    void readsTheBastionAddressInItsThreeForms() {
        assertEquals(new SshConfigCommand.Bastion("bastion.example.com", 2222), SshConfigCommand.Bastion.parse("bastion.example.com:2222"));
        assertEquals(new SshConfigCommand.Bastion("bastion.example.com", null), SshConfigCommand.Bastion.parse("bastion.example.com"));
        assertEquals(new SshConfigCommand.Bastion("2001:db8::7", 22), SshConfigCommand.Bastion.parse("[2001:db8::7]:22"));
        assertEquals(new SshConfigCommand.Bastion("2001:db8::7", null), SshConfigCommand.Bastion.parse("2001:db8::7"));
    }
}
