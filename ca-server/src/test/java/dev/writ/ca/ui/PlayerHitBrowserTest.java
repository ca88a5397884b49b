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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The player at a search hit whose output lies inside the hit's millisecond but after it (the
 * index keeps 4.688 s for an output at 4.688459 s): the hit's line is on screen, from the
 * search page's link and from the player's own list of hits, in headless Chromium.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlayerHitBrowserTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
            auditors:
              - match: { groups: [security] }
            """;

    @TempDir
    static Path dir;
    MockOAuth2Server idp;
    TestCa ca;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isExecutable(WebUiBrowserTest.CHROMIUM) && Files.isExecutable(WebUiBrowserTest.CHROMEDRIVER),
                "the browser test needs Debian's chromium and chromium-driver: ./dev test installs them");
        var hal = new DefaultOAuth2TokenCallback("idp", "hal", "JWT", List.of("writ"),
                Map.of("email", "hal@example.com", "groups", List.of("security")), 3600);
        idp = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(), Set.of(hal)));
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        String issuer = idp.issuerUrl("idp").toString().replaceAll("/$", "");
        RecordingBastion bastion = RecordingBastion.generate("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), issuer, POLICY, Clock.systemUTC(), bastion.config(), GrantEndedListener.NONE);
        TestCast cast = TestCast.session("s-1", "alice@example.com", "root", "web01.prod").size(80, 12);
        cast.output(0.2, "$ ");
        cast.output(4.688459, "grep -c needle /var/log/syslog\r\n"); // the whole line in one output, inside ms 4688
        cast.output(4.9, "3\r\n$ ");
        cast.output(9.0, "echo later output\r\nlater output\r\n$ ");
        assertEquals(201, bastion.upload(ca.url(), "rec-hit-1", cast.bytes()).statusCode());
        System.setProperty("SE_AVOID_BROWSER_DOWNLOAD", "true"); // Selenium Manager must not fetch anything
        ChromeOptions options = new ChromeOptions();
        options.setBinary(WebUiBrowserTest.CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(WebUiBrowserTest.CHROMEDRIVER.toString())).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
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

    String screen() {
        return (String) ((JavascriptExecutor) browser).executeScript("return window.writPlayer.screenText()");
    }

    @Test
    void theHitsLineIsOnScreenThoughItsOutputCameWithinTheHitsMillisecond() throws Exception {
        browser.get(ca.url() + "/ui/");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("sign-in"))).click();
        wait.until(ExpectedConditions.textToBe(By.id("who"), "hal@example.com"));
        WebElement q = wait.until(ExpectedConditions.elementToBeClickable(By.name("q")));
        q.sendKeys("needle");
        browser.findElement(By.cssSelector("#search button[type=submit]")).click();
        WebElement hit = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a.hit")));
        assertTrue(hit.getAttribute("href").contains("?t=4.688&"), "the index keeps the millisecond: " + hit.getAttribute("href"));

        hit.click();
        wait.until(ExpectedConditions.attributeToBe(By.id("terminal"), "data-ready", "true"));
        String atLink = screen();
        ((JavascriptExecutor) browser).executeScript("window.writPlayer.seek(0)");
        wait.until(d -> !screen().contains("needle"));
        browser.findElement(By.cssSelector("button.hit")).click();
        wait.until(d -> screen().contains("needle"));
        String atButton = screen();

        for (String seen : List.of(atLink, atButton)) {
            assertTrue(seen.contains("$ grep -c needle /var/log/syslog"), seen);
            assertFalse(seen.contains("later output"), "nothing long after the hit is on screen yet:\n" + seen);
        }
    }
}
