package dev.writ.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.sshagent.Certificate;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.Programs;
import dev.writ.agent.testing.TestEnv;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code ssh}, with writ's agent as its only agent and no key file, logs in to the real
 * {@code sshd} that trusts the CA; the agent fetches the certificate when ssh asks for it.
 */
class OnDemandSshTest {

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Sshd sshd;

    @TempDir
    Path dir;
    TestEnv env;

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
    void logIn() {
        env = TestEnv.in(dir).browser(HttpBrowser.following());
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
        TestEnv.Result login = env.run("login");
        assertEquals(0, login.exit(), login.toString());
    }

    Processes.Result ssh(String command) throws Exception {
        return Programs.ssh(env.agentSocket(), sshd.port(), Policies.LOGIN, command);
    }

    long fetches() {
        return env.agentLog().lines().filter(line -> line.contains("writ agent: new certificate for alice@example.com")).count();
    }

    @Test
    void sshLogsInWithACertificateFetchedWhenItAsksAndReusesIt() throws Exception {
        try (RunningAgent agent = env.startAgent(null)) {
            assertEquals(0, fetches(), "nothing is fetched before ssh asks");

            Processes.Result first = ssh("echo logged-in-through-writ-agent");
            Processes.Result second = ssh("true");

            assertEquals(0, first.exitCode(), first.output() + env.agentLog() + sshd.log());
            assertEquals("logged-in-through-writ-agent\n", first.output());
            assertEquals(0, second.exitCode(), second.output());
            assertEquals(1, fetches(), env.agentLog());
            assertTrue(sshd.log().contains("ID alice@example.com"), sshd.log());
        }
    }

    Certificate served(RunningAgent agent) throws Exception {
        return Certificate.parse(agent.identity().status().certificate());
    }

    @Test
    void fetchesACertificateForANewKeyWhenTheCachedOneExpiresWithinTwoMinutes() throws Exception {
        try (RunningAgent agent = env.startAgent("3m")) {
            assertEquals(0, ssh("true").exitCode());
            Certificate before = served(agent);

            env.clock().advance(Duration.ofSeconds(61)); // 1m59s left by the agent's clock: inside the two minutes
            Processes.Result after = ssh("echo renewed");

            assertEquals(0, after.exitCode(), after.output() + env.agentLog());
            assertEquals("renewed\n", after.output());
            assertEquals(2, fetches(), env.agentLog());
            Certificate renewed = served(agent);
            assertNotEquals(before.serial(), renewed.serial());
            assertFalse(KeyUtils.compareKeys(before.certifiedKey(), renewed.certifiedKey()), "a new key for every certificate");
        }
    }

    /** Revokes as writ does when a grant ends early: a row in the CA's append-only revocations table. */
    static void revoke(String column, String value) throws Exception {
        try (Connection c = ca.sql(); PreparedStatement insert = c.prepareStatement("INSERT INTO revocations (" + column
                + ", reason, revoked_by, revoked_at) VALUES (?, 'test', 'test', 0)")) {
            insert.setString(1, value);
            insert.executeUpdate();
        }
    }

    @Test
    void aRevokedCertificateIsReplacedAtTheNextSshInsteadOfBeingOfferedUntilItExpires() throws Exception {
        try (RunningAgent agent = env.startAgent(null)) {
            assertEquals(0, ssh("true").exitCode());
            Certificate before = served(agent);

            revoke("serial", Long.toString(Long.parseUnsignedLong(before.serial())));
            env.clock().advance(Duration.ofSeconds(11)); // past the agent's KRL check interval
            Processes.Result after = ssh("echo replaced");

            assertEquals(0, after.exitCode(), after.output() + env.agentLog());
            assertEquals("replaced\n", after.output());
            assertEquals(2, fetches(), env.agentLog());
            assertNotEquals(before.serial(), served(agent).serial());
            assertTrue(env.agentLog().contains("certificate serial " + before.serial() + " was revoked at the CA"),
                    env.agentLog());
        }
    }

    @Test
    void whenEveryCertificateOfTheIdentityIsRevokedTheAgentSaysSoOnceAndOffersNone() throws Exception {
        TestEnv carol = TestEnv.in(dir.resolve("carol")).browser(HttpBrowser.following());
        assertEquals(0, carol.run("configure", "--ca", ca.url()).exit());
        idp.nextLoginAs("carol@example.com", List.of("engineering"));
        assertEquals(0, carol.run("login").exit());
        revoke("key_id", "carol@example.com");
        Thread.sleep(250); // the CA reads its list for issuance at most every 200 ms
        try (RunningAgent agent = carol.startAgent(null)) {
            Processes.Result first = Programs.ssh(carol.agentSocket(), sshd.port(), Policies.LOGIN, "echo should-not-run");
            Processes.Result second = Programs.ssh(carol.agentSocket(), sshd.port(), Policies.LOGIN, "echo should-not-run");

            assertNotEquals(0, first.exitCode(), first.output());
            assertNotEquals(0, second.exitCode(), second.output());
            String said = "certificates for carol@example.com or for this key are revoked at this CA; ask a writ admin";
            assertEquals(1, carol.agentLog().lines().filter(line -> line.contains(said)).count(),
                    "said once, and not asked again at once: " + carol.agentLog());
            assertTrue(agent.identity().status().certificate() == null, "no certificate served");
        }
    }

    @Test
    void sshLogsInAgainOnceTheCachedCertificateHasExpired() throws Exception {
        try (RunningAgent agent = env.startAgent("3s")) {
            assertEquals(0, ssh("true").exitCode());
            Instant expiry = served(agent).validBefore();

            while (!Instant.now().isAfter(expiry.plusMillis(200))) {
                Thread.sleep(100);
            }
            assertNull(agent.identity().status().certificate(), "the expired certificate is gone");
            Processes.Result after = ssh("echo after-expiry");

            assertEquals(0, after.exitCode(), after.output() + env.agentLog());
            assertEquals("after-expiry\n", after.output());
            assertEquals(2, fetches(), env.agentLog());
        }
    }
}
