package dev.writ.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.testing.DeviceIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.Programs;
import dev.writ.agent.testing.TestEnv;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent renews the login with the refresh token when the ID token is about to expire, and
 * says once that a login is needed when the provider refuses the refresh token. The provider
 * ({@link DeviceIdp}) issues ID tokens that live 30 seconds, so every fetch needs a refresh.
 */
class SilentRefreshTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static DeviceIdp idp;
    static TestCa ca;
    static Sshd sshd;

    @TempDir
    Path dir;
    TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        idp = DeviceIdp.start().idTokenLifetime(Duration.ofSeconds(30));
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
        env = TestEnv.in(dir);
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
        deviceLogin();
    }

    void deviceLogin() {
        env.sleeper(wait -> idpDecides());
        TestEnv.Result login = env.run("login", "--device");
        assertEquals(0, login.exit(), login.toString());
    }

    void idpDecides() {
        try {
            idp.decide(true);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Processes.Result ssh() throws Exception {
        return Programs.ssh(env.agentSocket(), sshd.port(), Policies.LOGIN, "true");
    }

    String storedRefreshToken() throws Exception {
        return JSON.readTree(env.tokenFile().toFile()).get("refresh_token").asText();
    }

    long lines(String text) {
        return env.agentLog().lines().filter(line -> line.contains(text)).count();
    }

    @Test
    void refreshesTheExpiringIdTokenSilentlyAndKeepsTheRotatedRefreshToken() throws Exception {
        String refreshToken = storedRefreshToken();
        int refreshes = idp.refreshes();
        try (RunningAgent agent = env.startAgent(null)) {
            Processes.Result result = ssh();

            assertEquals(0, result.exitCode(), result.output() + env.agentLog());
            assertEquals(refreshes + 1, idp.refreshes());
            assertNotEquals(refreshToken, storedRefreshToken(), "the rotated refresh token is saved");
            assertTrue(sshd.log().contains("ID bob@example.com"), sshd.log());
        }
    }

    @Test
    void saysOnceThatALoginIsNeededWhenTheRefreshTokenIsRevokedAndRecoversAfterALogin() throws Exception {
        try (RunningAgent agent = env.startAgent(null)) {
            idp.revokeRefreshTokens();

            Processes.Result refused = ssh();
            Processes.Result again = ssh();

            assertEquals(255, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains("Permission denied (publickey)"), refused.output());
            assertEquals(255, again.exitCode(), again.output());
            assertEquals(1, lines("writ agent: login required: your login has expired or was revoked (the identity provider"
                    + " refused the refresh token: invalid_grant); run writ login (ssh gets no identity from writ until then)"),
                    env.agentLog());
            int refreshes = idp.refreshes();
            assertEquals(255, ssh().exitCode());
            assertEquals(refreshes, idp.refreshes(), "a refused refresh token is not tried again");

            TestEnv.Result status = env.run("status");
            assertEquals(7, status.exit(), status.toString());
            assertTrue(status.out().contains("refresh token  refused by the identity provider (invalid_grant)\n"), status.out());
            assertTrue(status.out().contains("login          required: run writ login\n"), status.out());

            deviceLogin();
            Processes.Result recovered = ssh();

            assertEquals(0, recovered.exitCode(), recovered.output() + env.agentLog());
            assertEquals(1, lines("writ agent: new certificate for bob@example.com"), env.agentLog());
        }
    }

    @Test
    void saysOnceThatALoginIsNeededAfterLogoutAndListsNothing() throws Exception {
        try (RunningAgent agent = env.startAgent(null)) {
            assertEquals(0, ssh().exitCode());

            TestEnv.Result logout = env.run("logout");
            Processes.Result refused = ssh();

            assertEquals(0, logout.exit(), logout.toString());
            assertTrue(logout.out().contains("The writ agent at " + env.agentSocket() + " dropped its certificate."), logout.out());
            assertEquals(255, refused.exitCode(), refused.output());
            assertEquals(1, lines("writ agent: login required: not logged in; run writ login"), env.agentLog());
            assertEquals(0, Programs.sshAddList(env.agentSocket()).output().lines().filter(l -> l.contains("writ")).count());
        }
    }
}
