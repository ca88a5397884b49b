package dev.writ.agent.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.SignedJWT;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ configure} and {@code writ login} against a real OIDC provider over HTTP
 * (mock-oauth2-server: authorization code, PKCE, nonce, refresh tokens) and a real CA, the
 * browser played by an HTTP client that follows the redirects to writ's loopback listener.
 */
class BrowserLoginTest {

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

    TestEnv configured(HttpBrowser browser) {
        TestEnv env = TestEnv.in(dir).browser(browser);
        Result configure = env.run("configure", "--ca", ca.url());
        assertEquals(0, configure.exit(), configure.toString());
        return env;
    }

    @Nested
    class Configure {

        @Test
        void storesTheIssuerAndClientThatTheCaNames() throws Exception {
            TestEnv env = TestEnv.in(dir);

            Result result = env.run("configure", "--ca", ca.url());

            assertEquals(0, result.exit(), result.toString());
            JsonNode config = JSON.readTree(env.configDir().resolve("config.json").toFile());
            assertEquals(ca.url(), config.get("ca").asText());
            assertEquals(idp.issuerUrl(), config.get("issuer").asText());
            assertEquals("writ", config.get("client_id").asText());
            assertTrue(config.get("scopes").toString().contains("offline_access"), config.toString());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.configDir())));
        }

        @Test
        void refusesAPlainHttpCaThatIsNotOnLoopback() {
            Result result = TestEnv.in(dir).run("configure", "--ca", "http://ca.example.com");

            assertEquals(2, result.exit());
            assertEquals("writ: CA URL http://ca.example.com must use https (http is only for a loopback address)\n", result.err());
        }
    }

    @Nested
    class Login {

        @Test
        void logsInThroughTheBrowserAndKeepsBothTokensInA0600File() throws Exception {
            HttpBrowser browser = HttpBrowser.following();
            TestEnv env = configured(browser);

            Result result = env.run("login");

            assertEquals(0, result.exit(), result.toString());
            assertTrue(result.out().contains("Logged in as alice@example.com at " + idp.issuerUrl() + "."), result.out());
            assertEquals(200, browser.lastStatus(), "the loopback page");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.tokenFile())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.configDir())));
            JsonNode tokens = JSON.readTree(env.tokenFile().toFile());
            String idToken = tokens.get("id_token").asText();
            String refreshToken = tokens.get("refresh_token").asText();
            assertEquals("alice@example.com", SignedJWT.parse(idToken).getJWTClaimsSet().getStringClaim("email"));
            assertFalse(refreshToken.isBlank());
            for (String printed : List.of(result.out(), result.err())) {
                assertFalse(printed.contains(idToken) || printed.contains(refreshToken), "a token was printed");
            }
        }

        @Test
        void sendsAnS256ChallengeAndALoopbackRedirectAndPrintsTheUrlWithoutABrowser() {
            TestEnv env = TestEnv.in(dir);
            env.run("configure", "--ca", ca.url());

            Result result = env.run("login", "--timeout", "1s");

            assertEquals(6, result.exit(), result.toString());
            assertEquals("writ: no answer from the browser within 1s; run writ login again\n", result.err());
            assertTrue(result.out().startsWith("Open this URL in a browser on this machine to log in (or use writ login --device):\n"),
                    result.out());
            URI printed = URI.create(result.out().lines().skip(1).findFirst().orElseThrow().strip());
            String query = printed.getQuery();
            assertTrue(printed.toString().startsWith(idp.issuerUrl() + "/authorize?"), printed.toString());
            for (String expected : List.of("response_type=code", "client_id=writ", "code_challenge_method=S256",
                    "redirect_uri=http://127.0.0.1:", "/callback", "scope=openid email profile offline_access")) {
                assertTrue(query.contains(expected), expected + " in " + query);
            }
            assertTrue(query.matches(".*state=[A-Za-z0-9_-]{32}.*") && query.matches(".*nonce=[A-Za-z0-9_-]{32}.*"), query);
        }

        @Test
        void refusesARedirectThatCarriesAnotherState() {
            TestEnv env = configured(HttpBrowser.rewritingRedirects(uri -> uri.getPath().equals("/callback")
                    ? HttpBrowser.withParameter(uri, "state", "forged") : uri));

            Result result = env.run("login");

            assertEquals(5, result.exit(), result.toString());
            assertEquals("writ: the login redirect carries another state than this login's request (a forged or stale"
                    + " redirect?); login aborted\n", result.err());
            assertFalse(Files.exists(env.tokenFile()));
        }

        @Test
        void refusesAnIdTokenIssuedForAnotherNonce() {
            TestEnv env = configured(HttpBrowser.rewritingRequest(uri -> HttpBrowser.withParameter(uri, "nonce", "replayed")));

            Result result = env.run("login");

            assertEquals(5, result.exit(), result.toString());
            assertEquals("writ: the ID token's nonce does not match this login's request (a replayed or injected token?);"
                    + " login aborted\n", result.err());
            assertFalse(Files.exists(env.tokenFile()));
        }

        @Test
        void cannotRedeemTheCodeWhenThePkceChallengeWasSwapped() {
            TestEnv env = configured(HttpBrowser.rewritingRequest(uri ->
                    HttpBrowser.withParameter(uri, "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")));

            Result result = env.run("login");

            assertEquals(5, result.exit(), result.toString());
            assertTrue(result.err().startsWith("writ: the identity provider refused the authorization code: invalid_grant"),
                    result.err());
        }
    }
}
