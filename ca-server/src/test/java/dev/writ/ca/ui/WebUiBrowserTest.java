package dev.writ.ca.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestCast;
import java.io.File;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The review pages in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium): sign in at a real OIDC provider
 * (mock-oauth2-server, which approves at once) with the authorization code flow and PKCE done in
 * the browser, search the recordings for a command, open the hit, and find the player's terminal
 * showing that command at that time, and nothing that came later. Screenshots go to
 * {@code target/ui-screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target/ui-screenshots");
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
              - name: prod-admin
                principals: [root]
                max_ttl: 1h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [security] } }]
                  max_duration: 2h
            auditors:
              - match: { groups: [security] }
            admins:
              - match: { groups: [security] }
            """;

    @TempDir
    static Path dir;
    MockOAuth2Server idp;
    TestCa ca;
    RecordingBastion bastion;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the browser test needs Debian's chromium and chromium-driver: ./dev test installs them");
        // the provider signs in one reviewer: hal, an auditor (group security) and an approver
        var hal = new DefaultOAuth2TokenCallback("idp", "hal", "JWT", List.of("writ"),
                Map.of("email", "hal@example.com", "groups", List.of("security")), 3600);
        idp = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(), Set.of(hal)));
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        String issuer = idp.issuerUrl("idp").toString().replaceAll("/$", "");
        bastion = RecordingBastion.generate("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), issuer, POLICY, Clock.systemUTC(), bastion.config(), GrantEndedListener.NONE);
        assertEquals(201, bastion.upload(ca.url(), "rec-web01-1", session()).statusCode());
        browser = chromium();
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (ca != null) {
            ca.close();
        }
        if (idp != null) {
            idp.shutdown();
        }
    }

    /**
     * Colourful output, a command at 7.5 s, output after it that must not show yet at that time,
     * and a quarter of an hour of silence until an admin ended the session.
     */
    static byte[] session() {
        TestCast cast = TestCast.session("s-1", "alice@example.com", "root", "web01.prod").size(100, 20);
        cast.output(0.2, "\u001b[1;32malice@web01\u001b[0m:\u001b[1;34m~\u001b[0m$ ");
        cast.output(1.0, "ls /srv\r\n").output(1.3, "app  backups  logs\r\n");
        cast.output(1.4, "\u001b[1;32malice@web01\u001b[0m:\u001b[1;34m~\u001b[0m$ ");
        String command = "sudo rm -rf /srv/backups";
        for (int i = 0; i < command.length(); i++) {
            cast.output(6.0 + i * 0.06, command.substring(i, i + 1)); // typed key by key, echoed
        }
        cast.output(7.5, "\r\n").output(8.0, "\u001b[1;32malice@web01\u001b[0m:\u001b[1;34m~\u001b[0m$ ");
        cast.output(20.0, "echo later output\r\nlater output\r\n");
        cast.event(876.25, "m", "{\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                + "\"admin_reason\":\"INC-9 <b>leak</b>\"}");
        cast.event(876.25, "m", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":512}");
        return cast.bytes();
    }

    static ChromeDriver chromium() throws Exception {
        System.setProperty("SE_AVOID_BROWSER_DOWNLOAD", "true"); // Selenium Manager must not fetch anything
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    void screenshot(String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    @Test
    @Order(0)
    void servesThePagesWithAStrictPolicyAndXtermFromItsWebjar() throws Exception {
        var bare = ca.get("/ui");
        var page = ca.get("/ui/");
        var xterm = ca.get("/webjars/xterm/4.9.0/lib/xterm.js");

        assertEquals(List.of(302, "/ui/"), List.of(bare.statusCode(), bare.headers().firstValue("Location").orElse("")));
        assertEquals(200, page.statusCode());
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(policy.startsWith("default-src 'none'; script-src 'self'; style-src 'self';"), policy);
        assertFalse(policy.contains("unsafe"), policy);
        assertFalse(page.body().contains("<script>"), "no inline script");
        assertEquals(200, xterm.statusCode());
    }

    @Test
    @Order(1)
    void signsInSearchesForACommandAndThePlayerShowsItAtTheHitsTime() throws Exception {
        browser.get(ca.url() + "/ui/");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("sign-in"))).click();
        wait.until(ExpectedConditions.textToBe(By.id("who"), "hal@example.com"));
        assertFalse(browser.getCurrentUrl().contains("code="), "the code is gone from the address bar");

        WebElement q = wait.until(ExpectedConditions.elementToBeClickable(By.name("q")));
        q.sendKeys("rm -rf");
        browser.findElement(By.cssSelector("#search button[type=submit]")).click();
        WebElement hit = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a.hit")));
        assertEquals("0:07.4", hit.getText(), "the time the command was on screen, rounded up");
        screenshot("sessions-search");

        hit.click();
        wait.until(ExpectedConditions.attributeToBe(By.id("terminal"), "data-ready", "true"));
        String screen = (String) js("return window.writPlayer.screenText()");
        assertTrue(screen.contains("alice@web01:~$ sudo rm -rf /srv/backups"), screen);
        assertFalse(screen.contains("later output"), "nothing after the hit is on screen yet:\n" + screen);
        assertEquals("0:07.4 / 14:36.3", browser.findElement(By.id("time")).getText(), "as long as the session, to its close");
        assertEquals("ended_by_admin by sam@example.com: INC-9 <b>leak</b>, at 14:36.3",
                browser.findElement(By.xpath("//dt[text()='Ended by the bastion']/following-sibling::dd[1]")).getText());
        screenshot("player-at-hit");

        js("window.writPlayer.seek(25)");
        wait.until(d -> ((String) js("return window.writPlayer.screenText()")).contains("later output"));
        assertNoContentSecurityPolicyViolations();
    }

    @Test
    @Order(2)
    void theAccessRequestsPageApprovesARequestWaitingForThisReviewer() throws Exception {
        var alice = idp.issueToken("idp", "alice", new DefaultOAuth2TokenCallback("idp", "alice", "JWT", List.of("writ"),
                Map.of("email", "alice@example.com", "groups", List.of("engineering")), 3600)).serialize();
        var created = ca.post("/v1/access-requests", alice, "{\"role\":\"prod-admin\",\"reason\":\"INC-4711\",\"duration\":\"1h\"}");
        assertEquals(201, created.statusCode(), created.body());

        browser.get(ca.url() + "/ui/#/requests");
        WebElement request = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("li.request")));
        assertTrue(request.getText().contains("alice@example.com asks for prod-admin for 1h"), request.getText());
        screenshot("access-requests");
        request.findElement(By.cssSelector("button.approve")).click();

        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("li.request .outcome"), "now approved"));
    }

    @Test
    @Order(3)
    void theAuditPageShowsWhoViewedWhichRecording() throws Exception {
        browser.get(ca.url() + "/ui/#/audit?type=recording.*");
        WebElement table = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("table.audit")));
        assertTrue(table.getText().contains("recording.viewed hal@example.com ok"), table.getText());
        assertTrue(table.getText().contains("recording.stored bastion:bastion-1 ok"), table.getText());
        screenshot("audit");
        assertNoContentSecurityPolicyViolations();
    }

    /** The bastion's sync: the sessions it holds; answered when the CA has news for it, else after {@code waitSeconds}. */
    CompletableFuture<HttpResponse<String>> sync(String sessionsJson, int waitSeconds) throws Exception {
        String body = "{\"krl_version\":0,\"wait_seconds\":" + waitSeconds + ",\"sessions\":" + sessionsJson + "}";
        return HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/bastion/sync"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + bastion.token(Instant.now()))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(4)
    void theLivePageListsASessionAndEndsItWithAReason() throws Exception {
        CompletableFuture<HttpResponse<String>> held = sync("[{\"id\":\"s-live-1\",\"identity\":\"alice@example.com\","
                + "\"login\":\"root\",\"target\":\"web01.prod\",\"client_address\":\"10.1.2.3\","
                + "\"started\":\"2026-11-21T10:00:00Z\",\"serial\":\"42\"}]", 20);

        var hal = idp.issueToken("idp", "hal", new DefaultOAuth2TokenCallback("idp", "hal", "JWT", List.of("writ"),
                Map.of("email", "hal@example.com", "groups", List.of("security")), 3600)).serialize();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ca.get("/v1/sessions", hal).body().contains("s-live-1")) { // the sync is on its way
            assertTrue(System.nanoTime() < deadline, "the CA did not list the bastion's session");
            Thread.sleep(50);
        }
        browser.get(ca.url() + "/ui/#/live");
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr.live-session")));
        assertTrue(row.getText().contains("alice@example.com root@web01.prod 10.1.2.3 bastion-1"), row.getText());
        row.findElement(By.cssSelector("button.end")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr.live-session .outcome"),
                "A reason is required"));
        assertFalse(held.isDone(), "nothing was sent without a reason");

        row.findElement(By.cssSelector("input.reason")).sendKeys("INC-4711 is over");
        row.findElement(By.cssSelector("button.end")).click();
        HttpResponse<String> told = held.get(10, TimeUnit.SECONDS); // the bastion hears of it at once
        assertTrue(told.body().contains("{\"id\":\"s-live-1\",\"by\":\"hal@example.com\",\"reason\":\"INC-4711 is over\"}"),
                told.body());
        sync("[]", 0).get(10, TimeUnit.SECONDS); // and reports it closed
        wait.until(ExpectedConditions.textToBe(By.cssSelector("tr.live-session .outcome"), "ended"));
        assertFalse(row.findElement(By.cssSelector("button.end")).isEnabled(), "ended once");
        screenshot("live-sessions");
        assertNoContentSecurityPolicyViolations();
    }

    void assertNoContentSecurityPolicyViolations() {
        List<String> violations = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage).filter(m -> m.contains("Content Security Policy")).toList();
        assertEquals(List.of(), violations);
    }
}
