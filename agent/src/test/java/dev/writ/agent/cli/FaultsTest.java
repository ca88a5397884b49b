package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.agent.testing.DeviceIdp;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every fault a user can run into gives one line on standard error and its own exit code
 * (agent/README.md has the table), and a stack trace only with {@code --debug}.
 */
class FaultsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;

    @TempDir
    Path dir;

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

    static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    TestEnv loggedIn() {
        TestEnv env = TestEnv.in(dir).browser(HttpBrowser.following());
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
        Result login = env.run("login");
        assertEquals(0, login.exit(), login.toString());
        return env;
    }

    static void editConfig(TestEnv env, String field, String value) throws Exception {
        Path file = env.configDir().resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        config.put(field, value);
        Files.writeString(file, JSON.writeValueAsString(config));
    }

    @Nested
    class Setup {

        @Test
        void notConfigured() {
            Result result = TestEnv.in(dir).run("status");

            assertEquals(3, result.exit());
            assertEquals("writ: not configured: run writ configure --ca URL\n", result.err());
        }

        @Test
        void brokenConfig() throws Exception {
            TestEnv env = TestEnv.in(dir);
            Files.createDirectories(env.configDir());
            Files.writeString(env.configDir().resolve("config.json"), "{\"ca\": \"ftp://ca\"}");

            Result result = env.run("cert");

            assertEquals(3, result.exit());
            assertEquals("writ: the client config " + env.configDir().resolve("config.json") + " is invalid (ca URL ftp://ca"
                    + " must use https): run writ configure --ca URL\n", result.err());
        }

        @Test
        void notLoggedIn() {
            TestEnv env = TestEnv.in(dir);
            env.run("configure", "--ca", ca.url());

            Result result = env.run("cert");

            assertEquals(4, result.exit());
            assertEquals("writ: not logged in: run writ login\n", result.err());
        }
    }

    @Nested
    class Unreachable {

        @Test
        void caUnreachableAtConfigure() throws Exception {
            int port = closedPort();

            Result result = TestEnv.in(dir).run("configure", "--ca", "http://127.0.0.1:" + port);

            assertEquals(10, result.exit());
            assertEquals("writ: cannot reach the CA at http://127.0.0.1:" + port + ": connection refused\n", result.err());
        }

        @Test
        void caUnreachableForACertificate() throws Exception {
            TestEnv env = loggedIn();
            int port = closedPort();
            editConfig(env, "ca", "http://127.0.0.1:" + port);

            Result result = env.run("cert");

            assertEquals(10, result.exit());
            assertEquals("writ: cannot reach the CA at http://127.0.0.1:" + port + ": connection refused\n", result.err());
        }

        @Test
        void identityProviderUnreachable() throws Exception {
            TestEnv env = TestEnv.in(dir);
            env.run("configure", "--ca", ca.url());
            int port = closedPort();
            editConfig(env, "issuer", "http://127.0.0.1:" + port + "/idp");

            Result result = env.run("login");

            assertEquals(12, result.exit());
            assertEquals("writ: cannot reach the identity provider at http://127.0.0.1:" + port + "/idp: connection refused\n",
                    result.err());
        }

        @Test
        void aStackTraceOnlyWithDebug() throws Exception {
            int port = closedPort();

            Result plain = TestEnv.in(dir).run("configure", "--ca", "http://127.0.0.1:" + port);
            Result debug = TestEnv.in(dir).run("configure", "--debug", "--ca", "http://127.0.0.1:" + port);

            assertEquals(1, plain.err().lines().count(), plain.err());
            assertEquals(10, debug.exit());
            assertTrue(debug.err().startsWith("writ: cannot reach the CA at http://127.0.0.1:" + port + ": connection refused\n"),
                    debug.err());
            assertTrue(debug.err().contains("java.net.ConnectException") && debug.err().contains("\tat "), debug.err());
        }
    }

    @Nested
    class Tokens {

        @Test
        void aWorldReadableTokenFileIsRefused() throws Exception {
            TestEnv env = loggedIn();
            Files.setPosixFilePermissions(env.tokenFile(), PosixFilePermissions.fromString("rw-r--r--"));

            Result cert = env.run("cert");
            Result status = env.run("status");

            String expected = "writ: refusing the token file " + env.tokenFile() + ": its mode is 0644, it must be 0600"
                    + " (others may have read it: run writ logout, then writ login)\n";
            assertEquals(9, cert.exit());
            assertEquals(expected, cert.err());
            assertEquals(9, status.exit());
            assertEquals(expected, status.err());
        }

        @Test
        void aGroupWritableTokenFileIsRefused() throws Exception {
            TestEnv env = loggedIn();
            Files.setPosixFilePermissions(env.tokenFile(), PosixFilePermissions.fromString("rw--w----"));

            Result result = env.run("cert");

            assertEquals(9, result.exit());
            assertTrue(result.err().contains("its mode is 0620, it must be 0600"), result.err());
        }

        @Test
        void aCorruptTokenFileIsRefused() throws Exception {
            TestEnv env = loggedIn();
            Files.writeString(env.tokenFile(), "{\"id_token\": \"not a JWT\"");

            Result result = env.run("cert");

            assertEquals(8, result.exit());
            assertEquals("writ: the token file " + env.tokenFile() + " is corrupt: run writ login to replace it\n", result.err());
        }

        @Test
        void loginWritesTheTokenFile0600EvenOverALooseOne() throws Exception {
            TestEnv env = loggedIn();
            Files.setPosixFilePermissions(env.tokenFile(), PosixFilePermissions.fromString("rw-rw-rw-"));

            Result login = env.run("login");

            assertEquals(0, login.exit(), login.toString());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.tokenFile())));
        }
    }

    @Nested
    class RefreshTokens {

        @Test
        void aRevokedRefreshTokenAsksForALoginWithoutAskingTheProviderAgain() throws Exception {
            try (DeviceIdp device = DeviceIdp.start().idTokenLifetime(Duration.ofSeconds(30));
                 TestCa deviceCa = TestCa.start(dir.resolve("ca"), device.issuerUrl(), Policies.ENGINEERS)) {
                TestEnv env = TestEnv.in(dir.resolve("user")).sleeper(wait -> approve(device));
                env.run("configure", "--ca", deviceCa.url());
                assertEquals(0, env.run("login", "--device").exit());
                assertEquals(0, env.run("cert").exit(), "a refresh, then a certificate");
                device.revokeRefreshTokens();

                Result first = env.run("cert");
                int refreshes = device.refreshes();
                Result second = env.run("cert");

                String expected = "writ: your login has expired or was revoked (the identity provider refused the refresh"
                        + " token: invalid_grant); run writ login\n";
                assertEquals(7, first.exit());
                assertEquals(expected, first.err());
                assertEquals(7, second.exit());
                assertEquals(expected, second.err());
                assertEquals(refreshes, device.refreshes());

                int port = closedPort();
                assertEquals(0, env.run("login", "--device").exit());
                editConfig(env, "issuer", "http://127.0.0.1:" + port + "/device-idp");
                Result unreachable = env.run("cert");
                assertEquals(12, unreachable.exit());
                assertEquals("writ: cannot reach the identity provider at http://127.0.0.1:" + port + "/device-idp:"
                        + " connection refused\n", unreachable.err());
            }
        }

        void approve(DeviceIdp device) {
            try {
                device.decide(true);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Nested
    class Clocks {

        @Test
        void aClockAheadOfTheCasIsNamed() {
            TestEnv env = loggedIn();
            env.clock().advance(Duration.ofMinutes(10));

            Result result = env.run("cert");

            assertEquals(13, result.exit(), result.toString());
            assertTrue(result.err().matches("writ: the local clock is 10m(1s)? ahead of the CA's clock \\(" + ca.url()
                    + "\\); set the time right \\(NTP\\) and try again\n"), result.err());
        }

        @Test
        void aClockBehindTheCasIsNamed() {
            TestEnv env = loggedIn();
            env.clock().advance(Duration.ofMinutes(-5));

            Result result = env.run("cert");

            assertEquals(13, result.exit(), result.toString());
            // the CA's Date header has whole seconds and is stamped before the answer travels: a loaded
            // machine may take a few seconds between the two
            assertTrue(result.err().matches("writ: the local clock is (4m5\\ds|5m) behind the CA's clock \\(" + ca.url()
                    + "\\); set the time right \\(NTP\\) and try again\n"), result.err());
        }

        @Test
        void aMinuteOfSkewIsFine() {
            TestEnv env = loggedIn();
            env.clock().advance(Duration.ofSeconds(90));

            Result result = env.run("cert");

            assertEquals(0, result.exit(), result.toString());
            assertFalse(result.err().contains("clock"), result.err());
        }
    }
}
