package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.MutableClock;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rate limits at the CA, and the audit log that a flood of anonymous refusals cannot grow without bound. */
class RateLimitApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
            """;
    static final String LIMITS = """
            rate_limits:
              issuance:
                per_identity: { requests: 3, per: 1m }
                per_address: { requests: 6, per: 1m }
              access_requests:
                per_identity: { requests: 2, per: 1m }
              summary_window: 60s
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    TestIdp idp;
    TestCa ca;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp(clock);
        ca = TestCa.start(dir, idp.issuerUrl(), POLICY, clock, LIMITS);
    }

    @AfterEach
    void stop() {
        ca.close();
        idp.close();
    }

    String token(String email) {
        return idp.idToken(email, List.of("engineering"));
    }

    HttpResponse<String> issue(String token) throws Exception {
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        return ca.post("/v1/certs/user", token, "{\"public_key\":\"" + key + "\"}");
    }

    static String detail(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("detail").asText();
    }

    static void assertTooMany(HttpResponse<String> response, String retryAfter, String detail) throws Exception {
        assertEquals(429, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(retryAfter, response.headers().firstValue("Retry-After").orElse("(none)"));
        JsonNode problem = JSON.readTree(response.body());
        assertEquals(List.of("https://writ.dev/problems/rate_limited", "Too Many Requests", "429", detail),
                List.of(problem.get("type").asText(), problem.get("title").asText(), problem.get("status").asText(),
                        problem.get("detail").asText()));
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    List<JsonNode> summaries() throws Exception {
        List<JsonNode> found = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT actor, client_address, details FROM audit_events WHERE type = 'request.refused.summary' ORDER BY seq")) {
            while (rs.next()) {
                found.add(JSON.createObjectNode().put("actor", rs.getString(1)).put("address", rs.getString(2))
                        .set("details", JSON.readTree(rs.getString(3))));
            }
        }
        return found;
    }

    /** The summaries written once the window has passed: the CA checks every second; this waits at most 10 s. */
    List<JsonNode> summariesAfterTheWindow(int expected) throws Exception {
        clock.advance(Duration.ofSeconds(61));
        for (int i = 0; i < 100; i++) {
            List<JsonNode> found = summaries();
            if (found.size() >= expected) {
                return found;
            }
            Thread.sleep(100);
        }
        return summaries();
    }

    double metric(String line) throws Exception {
        for (String l : ca.get("/metrics").body().split("\n")) {
            if (l.startsWith(line + " ")) {
                return Double.parseDouble(l.substring(line.length() + 1));
            }
        }
        return 0;
    }

    @Nested
    class Issuance {

        @Test
        void refusesTheFourthCertificateOfAnIdentityInAMinuteWithRetryAfterAndRecovers() throws Exception {
            String alice = token("alice@example.com");
            for (int i = 0; i < 3; i++) {
                assertEquals(201, issue(alice).statusCode(), "certificate " + (i + 1));
            }
            assertTooMany(issue(alice), "20",
                    "too many certificate requests by alice@example.com: at most 3 per 60 s; try again in 20 s");
            // another identity from the same address still gets one (the address allows 6)
            assertEquals(201, issue(token("bob@example.com")).statusCode());

            clock.advance(Duration.ofSeconds(19));
            assertTooMany(issue(alice), "1",
                    "too many certificate requests by alice@example.com: at most 3 per 60 s; try again in 1 s");
            clock.advance(Duration.ofSeconds(1));
            assertEquals(201, issue(alice).statusCode(), "a token has refilled after 20 s");
            assertEquals(1.0 + 1.0, metric("writ_rate_limited_total{by=\"identity\",family=\"issuance\"}"));
        }

        @Test
        void refusesTheSeventhRequestFromAnAddressBeforeVerifyingAnyToken() throws Exception {
            for (int i = 0; i < 6; i++) {
                assertEquals(201, issue(token("user" + i + "@example.com")).statusCode(), "certificate " + (i + 1));
            }
            assertTooMany(issue(token("carol@example.com")), "10",
                    "too many certificate requests from 127.0.0.1: at most 6 per 60 s; try again in 10 s");
            // refused before authentication, so no token was verified: even a bad one gets 429, not 401
            assertTooMany(issue("not-a-token"), "10",
                    "too many certificate requests from 127.0.0.1: at most 6 per 60 s; try again in 10 s");
            assertEquals(2.0, metric("writ_rate_limited_total{by=\"address\",family=\"issuance\"}"));

            clock.advance(Duration.ofSeconds(10));
            assertEquals(201, issue(token("carol@example.com")).statusCode());
        }

        @Test
        void limitsAccessRequestsApartFromCertificates() throws Exception {
            String dave = token("dave@example.com");
            for (int i = 0; i < 2; i++) {
                assertEquals(400, ca.post("/v1/access-requests", dave, "{}").statusCode(), "request " + (i + 1));
            }
            HttpResponse<String> third = ca.post("/v1/access-requests", dave, "{}");
            assertTooMany(third, "30", "too many access requests by dave@example.com: at most 2 per 60 s; try again in 30 s");
            assertEquals(201, issue(dave).statusCode(), "certificates have their own limit");
        }
    }

    @Nested
    class AnonymousRefusals {

        @Test
        void aFloodFromOneAddressIsOneAuditEventPerWindowWithTheCountAndEveryOneIsCounted() throws Exception {
            long refusedBefore = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'");
            for (int i = 0; i < 40; i++) {
                assertEquals(404, ca.get("/favicon.ico").statusCode());
            }
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> response = ca.get("/v1/audit", "forged-" + i);
                assertEquals(401, response.statusCode(), response.body());
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(401, ca.get("/v1/access-requests").statusCode());
            }
            // nothing written one by one, and no summary before the window has passed
            assertEquals(refusedBefore, count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"));
            assertEquals(List.of(), summaries());
            assertEquals(40.0, metric("writ_summarised_refusals_total{reason=\"not_found\"}"));
            assertEquals(30.0, metric("writ_summarised_refusals_total{reason=\"invalid_token\"}"));
            assertEquals(10.0, metric("writ_summarised_refusals_total{reason=\"missing_token\"}"));

            List<JsonNode> written = summariesAfterTheWindow(1);
            assertEquals(1, written.size(), written.toString());
            JsonNode summary = written.get(0);
            assertEquals(List.of("anonymous", "127.0.0.1"), List.of(summary.get("actor").asText(), summary.get("address").asText()));
            JsonNode details = summary.get("details");
            assertEquals(80, details.get("count").asInt());
            assertEquals(JSON.valueToTree(Map.of("not_found", 40, "invalid_token", 30, "missing_token", 10)), details.get("reasons"));
            assertEquals(JSON.valueToTree(Map.of("method", "GET", "path", "/favicon.ico", "status", 404, "reason", "not_found",
                    "detail", "Endpoint GET /favicon.ico not found")), details.get("first"));
            assertEquals(60, details.get("window_seconds").asInt());

            // the next window has its own summary
            assertEquals(404, ca.get("/robots.txt").statusCode());
            List<JsonNode> later = summariesAfterTheWindow(2);
            assertEquals(2, later.size(), later.toString());
            assertEquals(List.of(1, "/robots.txt"), List.of(later.get(1).get("details").get("count").asInt(),
                    later.get(1).get("details").get("first").get("path").asText()));
        }

        @Test
        void refusalsOfAVerifiedIdentityAreStillAuditedOneByOne() throws Exception {
            long before = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                    + " AND actor = 'erin@example.com'");
            HttpResponse<String> response = ca.post("/v1/certs/user", token("erin@example.com"), "{\"public_key\":\"x\"}");
            assertEquals(400, response.statusCode(), response.body());
            assertEquals(before + 1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                    + " AND actor = 'erin@example.com'"));
        }

        @Test
        void requestsOverTheLimitOfAnIdentityAreSummarisedUnderThatIdentity() throws Exception {
            String frank = token("frank@example.com");
            for (int i = 0; i < 3; i++) {
                assertEquals(201, issue(frank).statusCode());
            }
            assertEquals(429, issue(frank).statusCode());
            assertEquals(429, issue(frank).statusCode());
            List<JsonNode> written = summariesAfterTheWindow(1);
            assertEquals(1, written.size(), written.toString());
            assertEquals(List.of("frank@example.com", "2", "rate_limited"), List.of(written.get(0).get("actor").asText(),
                    written.get(0).get("details").get("count").asText(),
                    written.get(0).get("details").get("first").get("reason").asText()));
        }
    }
}
