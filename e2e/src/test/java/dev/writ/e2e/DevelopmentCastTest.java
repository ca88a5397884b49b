package dev.writ.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.testing.TestEnv;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The cast of the development stack: the development issuer ({@code dev-issuer.json}, as
 * {@code ./dev up} runs it) signs in the name typed with that person's groups, and the example
 * policies ({@code policies/examples}) give alice (engineer), oscar (on-call approver), ada
 * (admin) and sam (security) distinct powers at a real CA. {@code writ login} is completed as
 * people do it: the issuer's page in headless Chromium, a name typed, the redirect to writ.
 */
class DevelopmentCastTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final Path EXAMPLES = Path.of("..", "policies", "examples").toAbsolutePath().normalize();

    @TempDir
    static Path dir;
    static MockOAuth2Server issuer;
    static TestCa ca;
    static String publicKey;

    @BeforeAll
    static void start() throws Exception {
        String config = Files.readString(Path.of("src/test/resources/dev-issuer.json"));
        issuer = new MockOAuth2Server(OAuth2Config.Companion.fromJson(config));
        issuer.start(InetAddress.getByName("127.0.0.1"), 0);
        String issuerUrl = issuer.issuerUrl("dev").toString().replaceAll("/$", "");
        String policy;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            policy = files.filter(f -> f.toString().endsWith(".yaml")).sorted()
                    .map(DevelopmentCastTest::read).collect(Collectors.joining("\n"));
        }
        ca = TestCa.start(dir.resolve("ca"), issuerUrl, policy);
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                dir.resolve("id_ed25519").toString()));
        assertEquals(0, keygen.exitCode(), keygen.output());
        publicKey = Files.readString(dir.resolve("id_ed25519.pub")).strip();
    }

    @AfterAll
    static void stop() {
        if (ca != null) {
            ca.close();
        }
        if (issuer != null) {
            issuer.shutdown();
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The ID token the development issuer gives for a name typed with any password (password grant). */
    static String signIn(String name) throws Exception {
        String form = Map.of("grant_type", "password", "username", name, "password", "any", "client_id", "writ",
                        "client_secret", "x", "scope", "openid")
                .entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(issuer.issuerUrl("dev") + "/token"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body()).get("id_token").asText();
    }

    static JsonNode claims(String idToken) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(idToken.split("\\.")[1]));
    }

    @Test
    void theIssuerSignsInTheNameTypedWithTheCastsGroups() throws Exception {
        Map<String, List<String>> cast = Map.of(
                "alice", List.of("engineering"),
                "oscar", List.of("sre", "sre-leads"),
                "ada", List.of("engineering", "writ-admins"),
                "sam", List.of("security"),
                "adam", List.of("engineering"));
        for (var member : cast.entrySet()) {
            JsonNode claims = claims(signIn(member.getKey()));
            assertEquals(member.getKey(), claims.get("sub").asText());
            assertEquals(member.getKey() + "@example.com", claims.get("email").asText());
            assertEquals(member.getValue(), JSON.convertValue(claims.get("groups"), List.class), member.getKey());
            assertEquals("writ", claims.get("aud").asText());
        }
    }

    @Test
    void theExamplePoliciesGiveEachMemberOfTheCastTheirOwnPowers() throws Exception {
        String alice = signIn("alice");
        String oscar = signIn("oscar");
        String ada = signIn("ada");
        String sam = signIn("sam");

        // engineer: a certificate for her own login, and a request for production
        HttpResponse<String> cert = ca.post("/v1/certs/user", alice, JSON.writeValueAsString(Map.of("public_key", publicKey)));
        assertEquals(201, cert.statusCode(), cert.body());
        assertEquals(List.of("alice"), JSON.convertValue(JSON.readTree(cert.body()).get("principals"), List.class));
        HttpResponse<String> request = ca.post("/v1/access-requests", alice,
                JSON.writeValueAsString(Map.of("role", "prod-admin", "reason", "INC-1: disk full on web01")));
        assertEquals(201, request.statusCode(), request.body());
        String id = JSON.readTree(request.body()).get("id").asText();
        assertEquals("pending", JSON.readTree(request.body()).get("state").asText());

        // only the approver reviews it
        String approve = JSON.writeValueAsString(Map.of("decision", "approve"));
        assertEquals(403, ca.post("/v1/access-requests/" + id + "/reviews", alice, approve).statusCode());
        assertEquals(403, ca.post("/v1/access-requests/" + id + "/reviews", sam, approve).statusCode());
        HttpResponse<String> reviewed = ca.post("/v1/access-requests/" + id + "/reviews", oscar, approve);
        assertEquals(201, reviewed.statusCode(), reviewed.body());
        assertEquals("approved", JSON.readTree(reviewed.body()).get("state").asText());

        // only the admin creates join tokens
        String hostnames = JSON.writeValueAsString(Map.of("hostnames", List.of("web01.example.com")));
        assertEquals(403, ca.post("/v1/join-tokens", alice, hostnames).statusCode());
        HttpResponse<String> join = ca.post("/v1/join-tokens", ada, hostnames);
        assertEquals(201, join.statusCode(), join.body());

        // only security reads the audit log and the live sessions
        assertEquals(403, ca.get("/v1/audit", alice).statusCode());
        assertEquals(403, ca.get("/v1/audit", ada).statusCode());
        HttpResponse<String> audit = ca.get("/v1/audit", sam);
        assertEquals(200, audit.statusCode(), audit.body());
        assertTrue(audit.body().contains("\"actor\":\"oscar@example.com\""), audit.body());
        assertEquals(200, ca.get("/v1/sessions", sam).statusCode());
        assertEquals(403, ca.get("/v1/sessions", alice).statusCode());
    }

    @Test
    void writLoginCompletesOnTheIssuersPageInChromium() throws Exception {
        System.setProperty("SE_AVOID_BROWSER_DOWNLOAD", "true"); // Selenium Manager must not fetch anything
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        ChromeDriver chromium = new ChromeDriver(service, options);
        java.util.concurrent.ExecutorService person = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.atomic.AtomicReference<String> page = new java.util.concurrent.atomic.AtomicReference<>();
            // the browser writ opens: the issuer's sign-in page, where oscar types his name
            TestEnv env = TestEnv.in(dir.resolve("oscar")).browser(uri -> {
                person.submit(() -> {
                    chromium.get(uri.toString());
                    page.set(chromium.getTitle() + " " + chromium.findElement(By.tagName("h2")).getText());
                    chromium.findElement(By.name("username")).sendKeys("oscar");
                    chromium.findElement(By.cssSelector("input[type=submit]")).click();
                    return null;
                });
                return true;
            });
            TestEnv.Result configure = env.run("configure", "--ca", ca.url());
            assertEquals(0, configure.exit(), configure.toString());
            TestEnv.Result login = env.run("login");
            assertEquals(0, login.exit(), login.toString());
            assertTrue(String.valueOf(page.get()).contains("Sign-in"), String.valueOf(page.get()));
            assertTrue(login.out().contains("Logged in as oscar@example.com") || login.err().contains("Logged in as oscar@example.com"),
                    login.toString());
            // what the name typed may do: review requests for prod-admin, and nothing of an auditor's
            TestEnv.Result requests = env.run("requests", "--pending");
            assertEquals(0, requests.exit(), requests.toString());
            TestEnv.Result audit = env.run("audit");
            assertEquals(11, audit.exit(), audit.toString());
        } finally {
            person.shutdownNow();
            chromium.quit();
        }
    }
}
