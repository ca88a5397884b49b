package dev.writ.bastion.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Login rate limits at the bastion, with real ssh: the login over a limit is refused while it is
 * still a login, with a banner saying when to try again, and the CA's audit log records it.
 * The refill arithmetic, which needs a moving clock, is RateLimiterTest's.
 */
class LoginRateLimitTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
            """;
    static final String LIMITS = """
            login_rate_limits:
              per_identity: { requests: 2, per: 1h }
              per_address: { requests: 5, per: 1h }
            """;
    // per hour, so that the real clock refills nothing while the test runs
    static final Pattern BANNER = Pattern.compile("writ: too many logins; try again in (\\d+) s");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), LIMITS, SessionRecorder.NONE);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    Processes.Result login(Engineer engineer) throws Exception {
        return Engineer.run(Engineer.with(engineer.direct(stack.bastion.port(), Stack.LOGIN, "web01", "-o", "LogLevel=INFO"),
                "echo logged-in"), 30);
    }

    void assertLoggedIn(Engineer engineer, String which) throws Exception {
        Processes.Result result = login(engineer);
        assertEquals(0, result.exitCode(), which + ": " + result.output());
        assertTrue(result.output().contains("logged-in"), which + ": " + result.output());
    }

    /** The banner's wait in seconds, after checking the login was refused with it. */
    long assertRefused(Engineer engineer, String which) throws Exception {
        Processes.Result result = login(engineer);
        assertNotEquals(0, result.exitCode(), which + ": " + result.output());
        assertTrue(!result.output().contains("logged-in"), which + ": " + result.output());
        var banner = BANNER.matcher(result.output());
        assertTrue(banner.find(), which + ": " + result.output());
        return Long.parseLong(banner.group(1));
    }

    /** The details of the bastion's login.refused event for {@code identity}, waiting up to 10 s for it. */
    JsonNode awaitRefusal(String identity) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Connection c = stack.ca.sql(); PreparedStatement s = c.prepareStatement("SELECT details FROM audit_events"
                    + " WHERE type = 'bastion.login.refused' AND actor = ? ORDER BY seq DESC LIMIT 1")) {
                s.setString(1, identity);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return JSON.readTree(rs.getString(1));
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "no bastion.login.refused event for " + identity);
            Thread.sleep(100);
        }
    }

    @Test
    void refusesTheLoginOverTheLimitPerEngineerAndThenPerAddressWithABannerAndAnAuditEvent() throws Exception {
        Engineer alice = stack.engineer("alice", List.of("engineering"), "");
        assertLoggedIn(alice, "alice's first login");
        assertLoggedIn(alice, "alice's second login");
        long wait = assertRefused(alice, "alice's third login in a minute");
        assertTrue(wait > 1700 && wait <= 1800, "two per hour refill one every 1800 s; the banner said " + wait + " s");
        JsonNode refused = awaitRefusal("alice@example.com");
        assertEquals(List.of("rate_limited", "too many logins by alice@example.com: at most 2 per 3600 s"),
                List.of(refused.get("reason").asText(), refused.get("detail").asText()), refused.toString());

        // the address has made two logins (a refused one takes nothing): three more fit, then it is full
        Engineer bob = stack.engineer("bob", List.of("engineering"), "");
        Engineer carol = stack.engineer("carol", List.of("engineering"), "");
        assertLoggedIn(bob, "bob's first login");
        assertLoggedIn(bob, "bob's second login");
        assertLoggedIn(carol, "carol's first login");
        Engineer dave = stack.engineer("dave", List.of("engineering"), "");
        assertRefused(dave, "dave's first login, the sixth from the address");
        JsonNode fromAddress = awaitRefusal("dave@example.com");
        assertEquals(List.of("rate_limited", "too many logins from 127.0.0.1: at most 5 per 3600 s"),
                List.of(fromAddress.get("reason").asText(), fromAddress.get("detail").asText()), fromAddress.toString());
    }
}
