package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.MutableClock;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Just-in-time access end to end over HTTP: a real CA on an injected clock, a real OIDC issuer
 * on the same clock, a real webhook receiver, and receivers that are dead or never answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessRequestApiTest {

    /** Wednesday 18 November 2026, 10:00 in Berlin: inside the on-call window. */
    static final Instant WEDNESDAY_10_BERLIN = Instant.parse("2026-11-18T09:00:00Z");
    static final Instant SATURDAY_10_BERLIN = Instant.parse("2026-11-21T09:00:00Z");

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
                extensions: [permit-pty]
              - name: prod-admin
                principals: [root]
                ttl: 30m
                max_ttl: 1h
                extensions: [permit-pty]
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  approvals: 1
                  max_duration: 2h
                  reason_required: true
                  pending_ttl: 1h
                  auto_approve:
                    - groups: [oncall]
                      weekdays: [mon, tue, wed, thu, fri]
                      hours: "09:00-18:00"
                      time_zone: Europe/Berlin
              - name: db-admin
                principals: [dbadmin]
                max_ttl: 1h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [dba] } }]
                  approvals: 2
                  max_duration: 4h
                  reason_required: false
              - name: break-glass
                principals: [root]
                max_ttl: 30m
                requestable:
                  requesters: [{ match: { groups: [sre] } }]
                  max_duration: 30m
                  break_glass: true
            deny:
              - name: no-contractors-in-prod
                match: { groups: [contractors] }
                roles: [prod-admin, break-glass]
            auditors:
              - match: { groups: [security] }
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    /** One call of the grant-ended listener. */
    record Ended(String grantId, List<Long> serials, String reason) {
    }

    /** One webhook delivery the receiver got. */
    record Delivery(String event, JsonNode body, String raw) {
    }

    @TempDir
    static Path dir;
    final MutableClock clock = new MutableClock(WEDNESDAY_10_BERLIN);
    final List<Ended> ended = new CopyOnWriteArrayList<>();
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    final List<Socket> heldSockets = new CopyOnWriteArrayList<>();
    TestIdp idp;
    TestCa ca;
    HttpServer receiver;
    ServerSocket slowReceiver;
    String userKey;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp(clock);
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String raw = new String(body, StandardCharsets.UTF_8);
            deliveries.add(new Delivery(exchange.getRequestHeaders().getFirst("X-Writ-Event"), JSON.readTree(raw), raw));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        slowReceiver = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!slowReceiver.isClosed()) {
                try {
                    heldSockets.add(slowReceiver.accept()); // never answers
                } catch (IOException closed) {
                    return;
                }
            }
        });
        accepting.setDaemon(true);
        accepting.start();
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = probe.getLocalPort();
        }
        GrantEndedListener listener = (grantId, serials, reason) -> ended.add(new Ended(grantId, serials, reason));
        ca = TestCa.start(dir, idp.issuerUrl(), POLICY, clock, """
                webhooks:
                  - url: http://127.0.0.1:%d/hook
                  - url: http://127.0.0.1:%d/dead
                    max_attempts: 3
                  - url: http://127.0.0.1:%d/slow
                    events: [request.created, break_glass]
                """.formatted(receiver.getAddress().getPort(), deadPort, slowReceiver.getLocalPort()), listener);
        userKey = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
    }

    @AfterAll
    void stop() throws Exception {
        ca.close();
        idp.close();
        receiver.stop(0);
        slowReceiver.close();
        for (Socket socket : heldSockets) {
            socket.close();
        }
    }

    @BeforeEach
    void wednesdayMorning() {
        clock.set(WEDNESDAY_10_BERLIN);
    }

    // ---- helpers

    String token(String email, String... groups) {
        return idp.idToken(email, List.of(groups));
    }

    HttpResponse<String> requestAccess(String token, String role, String reason, String duration) throws Exception {
        StringBuilder body = new StringBuilder("{\"role\":" + quote(role));
        if (reason != null) {
            body.append(",\"reason\":").append(quote(reason));
        }
        if (duration != null) {
            body.append(",\"duration\":").append(quote(duration));
        }
        return ca.post("/v1/access-requests", token, body.append('}').toString());
    }

    /** A request that must be accepted: its JSON. */
    JsonNode requested(String token, String role, String reason, String duration) throws Exception {
        HttpResponse<String> response = requestAccess(token, role, reason, duration);
        assertEquals(201, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    HttpResponse<String> review(String token, String id, String decision) throws Exception {
        return ca.post("/v1/access-requests/" + id + "/reviews", token, "{\"decision\":\"" + decision + "\"}");
    }

    JsonNode list(String token, String query) throws Exception {
        HttpResponse<String> response = ca.get("/v1/access-requests" + query, token);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).get("requests");
    }

    JsonNode find(String token, String id) throws Exception {
        HttpResponse<String> response = ca.get("/v1/access-requests/" + id, token);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    JsonNode certificate(String token) throws Exception {
        HttpResponse<String> response = ca.post("/v1/certs/user", token, "{\"public_key\":" + quote(userKey) + "}");
        assertEquals(201, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    static OpenSshCertificate parse(JsonNode answer) throws Exception {
        PublicKey key = PublicKeyEntry.parsePublicKeyEntry(answer.get("certificate").asText())
                .resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
        return (OpenSshCertificate) key;
    }

    static String rolesExtension(OpenSshCertificate certificate) {
        return certificate.getExtensions().stream().filter(e -> e.getName().equals("roles@writ"))
                .map(e -> e.getData()).findFirst().orElseThrow();
    }

    static String detail(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("detail").asText();
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String quote(String s) throws Exception {
        return JSON.writeValueAsString(s);
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    List<Ended> endedGrants(String id) {
        return ended.stream().filter(e -> e.grantId().equals(id)).toList();
    }

    List<Delivery> delivered(String event, String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<Delivery> found = deliveries.stream()
                    .filter(d -> d.event().equals(event) && d.body().get("request").get("id").asText().equals(id)).toList();
            if (!found.isEmpty() || System.nanoTime() > deadline) {
                return found;
            }
            Thread.sleep(20);
        }
    }

    // ---- the story

    @Nested
    class Approval {

        @Test
        void aliceRequestsBobApprovesAndHerNextCertificateCarriesRootUntilTheGrantEnds() throws Exception {
            String alice = token("alice@example.com", "engineering");
            assertEquals(List.of("alice"), texts(certificate(alice).get("principals")));

            JsonNode request = requested(alice, "prod-admin", "INC-4711: disk full on db01", "30m");
            String id = request.get("id").asText();
            assertEquals("pending", request.get("state").asText());
            assertEquals("review", request.get("mode").asText());
            assertEquals("alice@example.com", request.get("requester").asText());
            assertEquals("30m", request.get("duration").asText());
            assertEquals("1h", request.get("time_left").asText());
            assertEquals("waiting for 1 approval (not auto-approved: condition 1: groups [engineering] contain none"
                    + " of [oncall])", request.get("decision_reason").asText());
            assertTrue(id.matches("[A-Za-z0-9_][A-Za-z0-9_-]{21}"), id);

            HttpResponse<String> self = review(token("alice@example.com", "engineering", "sre-leads"), id, "approve");
            assertEquals(403, self.statusCode(), self.body());
            assertEquals("you cannot review your own request", detail(self));
            HttpResponse<String> carol = review(token("carol@example.com", "engineering"), id, "approve");
            assertEquals(403, carol.statusCode(), carol.body());
            assertEquals("carol@example.com may not review requests for role 'prod-admin'", detail(carol));

            clock.advance(Duration.ofMinutes(5));
            Instant approvedAt = clock.instant();
            HttpResponse<String> bob = review(token("bob@example.com", "sre-leads"), id, "approve");
            assertEquals(201, bob.statusCode(), bob.body());
            JsonNode approved = JSON.readTree(bob.body());
            assertEquals("approved", approved.get("state").asText());
            assertEquals(approvedAt.toString(), approved.get("grant_start").asText(), "the clock starts at approval");
            Instant grantEnd = approvedAt.plus(Duration.ofMinutes(30));
            assertEquals(grantEnd.toString(), approved.get("grant_end").asText());
            assertEquals("bob@example.com", approved.get("reviews").get(0).get("reviewer").asText());
            assertEquals(1, approved.get("approvals").asInt());

            // the same token, no new login: the next certificate carries root, and not past the grant
            clock.advance(Duration.ofMinutes(1));
            JsonNode withRoot = certificate(alice);
            assertEquals(List.of("alice", "root"), texts(withRoot.get("principals")));
            assertEquals(grantEnd.toString(), withRoot.get("valid_before").asText(), "30m ttl capped at the grant's end");
            OpenSshCertificate parsed = parse(withRoot);
            assertEquals("engineer,prod-admin", rolesExtension(parsed));
            assertEquals(grantEnd.getEpochSecond(), parsed.getValidBefore());
            long serial = Long.parseUnsignedLong(withRoot.get("serial").asText());
            assertEquals(1, count("SELECT COUNT(*) FROM certificate_grants WHERE serial = " + serial
                    + " AND request_id = '" + id + "'"));

            // the grant ends: its certificates are reported, and the next certificate lacks root
            clock.set(grantEnd);
            JsonNode mine = list(alice, "?mine=true");
            assertEquals("ended", mine.get(0).get("state").asText());
            assertEquals("reached its end", mine.get(0).get("end_reason").asText());
            assertEquals(List.of(new Ended(id, List.of(serial), "reached its end")), endedGrants(id));
            JsonNode after = certificate(alice);
            assertEquals(List.of("alice"), texts(after.get("principals")));
            assertEquals("engineer", rolesExtension(parse(after)));

            for (String type : List.of("access.requested", "access.reviewed", "access.approved", "access.ended")) {
                assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = '" + type + "' AND details LIKE '%"
                        + id + "%'"), type);
            }
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'access.approved' AND actor ="
                    + " 'bob@example.com' AND details LIKE '%approved by 1 of 1 required approvals%' AND details LIKE '%"
                    + id + "%'"));
            assertEquals(1, delivered("request.approved", id).size());
        }

        @Test
        void countsDistinctApproversAndOneDenialDenies() throws Exception {
            String dave = token("dave@example.com", "engineering");
            String id = requested(dave, "db-admin", null, "1h").get("id").asText();
            String dba1 = token("dina@example.com", "dba");
            JsonNode first = JSON.readTree(review(dba1, id, "approve").body());
            assertEquals("pending", first.get("state").asText());
            assertEquals(1, first.get("approvals").asInt());
            HttpResponse<String> again = review(dba1, id, "approve");
            assertEquals(409, again.statusCode());
            assertEquals("you already reviewed access request " + id, detail(again));
            JsonNode second = JSON.readTree(review(token("dirk@example.com", "dba"), id, "approve").body());
            assertEquals("approved", second.get("state").asText());
            assertEquals(2, second.get("approvals").asInt());

            String id2 = requested(token("dora@example.com", "engineering"), "db-admin", null, null).get("id").asText();
            JsonNode denied = JSON.readTree(ca.post("/v1/access-requests/" + id2 + "/reviews", dba1,
                    "{\"decision\":\"deny\",\"comment\":\"use the read replica\"}").body());
            assertEquals("denied", denied.get("state").asText());
            assertEquals("use the read replica", denied.get("reviews").get(0).get("comment").asText());
            assertEquals("4h", denied.get("duration").asText(), "no duration asks for the maximum");
            HttpResponse<String> late = review(token("dirk@example.com", "dba"), id2, "approve");
            assertEquals(409, late.statusCode());
            assertEquals("access request " + id2 + " is denied, not pending", detail(late));
            assertEquals(1, delivered("request.denied", id2).size());
        }
    }

    @Nested
    class AutoApproval {

        @Test
        void approvesAnOnCallEngineerAtOnceInsideTheWindow() throws Exception {
            String olga = token("olga@example.com", "engineering", "oncall");
            JsonNode request = requested(olga, "prod-admin", "paged: api latency", "1h");
            assertEquals("approved", request.get("state").asText());
            assertEquals("auto", request.get("mode").asText());
            assertEquals(WEDNESDAY_10_BERLIN.toString(), request.get("grant_start").asText());
            assertTrue(texts(certificate(olga).get("principals")).contains("root"));
            assertEquals(1, delivered("request.approved", request.get("id").asText()).size());
        }

        @Test
        void letsAnOnCallEngineerWaitForApproversOnSaturday() throws Exception {
            clock.set(SATURDAY_10_BERLIN);
            JsonNode request = requested(token("otto@example.com", "engineering", "oncall"), "prod-admin", "paged", "1h");
            assertEquals("pending", request.get("state").asText());
            assertEquals("waiting for 1 approval (not auto-approved: condition 1: it is sat in Europe/Berlin, not one of"
                    + " [mon, tue, wed, thu, fri])", request.get("decision_reason").asText());
        }

        @Test
        void neverOverridesADenyRule() throws Exception {
            HttpResponse<String> response = requestAccess(token("carl@example.com", "engineering", "oncall",
                    "contractors"), "prod-admin", "paged", "1h");
            assertEquals(403, response.statusCode(), response.body());
            assertEquals("denied by rule 'no-contractors-in-prod'", detail(response));
        }
    }

    @Nested
    class BreakGlass {

        @Test
        void grantsAtOnceAuditsWithHighSeverityAndCallsTheWebhook() throws Exception {
            String sam = token("sam@example.com", "sre");
            JsonNode request = requested(sam, "break-glass", "prod down, no approver reachable", null);
            String id = request.get("id").asText();
            assertEquals("approved", request.get("state").asText());
            assertEquals("break_glass", request.get("mode").asText());
            assertEquals("30m", request.get("duration").asText());
            assertTrue(texts(certificate(sam).get("principals")).contains("root"));

            for (String type : List.of("access.requested", "access.approved")) {
                assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = '" + type + "' AND details LIKE '%"
                        + id + "%' AND details LIKE '%\"severity\":\"high\"%'"), type);
            }
            List<Delivery> hooks = delivered("break_glass", id);
            assertEquals(1, hooks.size());
            JsonNode body = hooks.get(0).body();
            assertEquals("break_glass", body.get("event").asText());
            assertEquals("high", body.get("severity").asText());
            assertEquals("sam@example.com", body.get("request").get("requester").asText());
            assertEquals("prod down, no approver reachable", body.get("request").get("reason").asText());
            assertFalse(hooks.get(0).raw().contains(sam), "no token in a webhook");
        }

        @Test
        void requiresAReason() throws Exception {
            HttpResponse<String> response = requestAccess(token("sue@example.com", "sre"), "break-glass", null, null);
            assertEquals(400, response.statusCode());
            assertEquals("a reason is required to request role 'break-glass'", detail(response));
        }
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("fail/duration-above-max", "{\"role\":\"prod-admin\",\"reason\":\"x\",\"duration\":\"3h\"}",
                        400, "requested duration 3h exceeds the maximum of 2h for role 'prod-admin'"),
                Arguments.of("fail/reason-missing", "{\"role\":\"prod-admin\",\"duration\":\"1h\"}", 400,
                        "a reason is required to request role 'prod-admin'"),
                Arguments.of("fail/reason-blank", "{\"role\":\"prod-admin\",\"reason\":\"  \"}", 400,
                        "a reason is required to request role 'prod-admin'"),
                Arguments.of("fail/not-requestable", "{\"role\":\"engineer\",\"reason\":\"x\"}", 403,
                        "role 'engineer' is not requestable"),
                Arguments.of("fail/unknown-role", "{\"role\":\"prod-admn\",\"reason\":\"x\"}", 400,
                        "unknown role 'prod-admn'"),
                Arguments.of("fail/not-a-requester", "{\"role\":\"break-glass\",\"reason\":\"x\"}", 403,
                        "rita@example.com may not request role 'break-glass'"),
                Arguments.of("fail/duration-not-a-duration", "{\"role\":\"prod-admin\",\"reason\":\"x\",\"duration\":\"1 day\"}",
                        400, "duration '1 day' is not a positive duration such as 30m, 8h or 1h30m"),
                Arguments.of("fail/start-at-not-a-time", "{\"role\":\"prod-admin\",\"reason\":\"x\",\"start_at\":\"soon\"}",
                        400, "start_at 'soon' is not an RFC 3339 time such as 2026-11-18T09:00:00Z"),
                Arguments.of("fail/start-at-too-far", "{\"role\":\"prod-admin\",\"reason\":\"x\",\"start_at\":"
                        + "\"2026-12-18T09:00:00Z\"}", 400, "start_at is more than 7d ahead"),
                Arguments.of("fail/reason-with-control-characters", "{\"role\":\"prod-admin\",\"reason\":\"a\\u001b[31m\"}",
                        400, "reason must be one line without control characters"),
                Arguments.of("fail/role-missing", "{\"reason\":\"x\"}", 400, "role is missing"),
                Arguments.of("fail/unknown-field", "{\"role\":\"prod-admin\",\"reason\":\"x\",\"for\":\"1h\"}", 400,
                        "unknown field 'for'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesABadRequestWithAProblemAndAnAuditEvent(String name, String body, int status, String message)
            throws Exception {
        long refusals = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'");
        long requests = count("SELECT COUNT(*) FROM access_requests");
        HttpResponse<String> response = ca.post("/v1/access-requests", token("rita@example.com", "engineering"), body);
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(message, detail(response));
        assertEquals(refusals + 1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"));
        assertEquals(requests, count("SELECT COUNT(*) FROM access_requests"));
    }

    @Nested
    class Lifecycle {

        @Test
        void expiresAPendingRequestAfterItsWait() throws Exception {
            String id = requested(token("pia@example.com", "engineering"), "prod-admin", "later", "1h").get("id").asText();
            clock.advance(Duration.ofMinutes(59));
            assertEquals("pending", find(token("pia@example.com", "engineering"), id).get("state").asText());
            clock.advance(Duration.ofMinutes(1));
            JsonNode expired = find(token("pia@example.com", "engineering"), id);
            assertEquals("expired", expired.get("state").asText());
            assertNull(expired.get("time_left"));
            HttpResponse<String> late = review(token("bob@example.com", "sre-leads"), id, "approve");
            assertEquals(409, late.statusCode());
            assertEquals("access request " + id + " is expired, not pending", detail(late));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'access.expired' AND actor = 'writ'"
                    + " AND details LIKE '%" + id + "%'"));
            assertEquals(1, delivered("request.expired", id).size());
        }

        @Test
        void letsTheRequesterWithdrawAPendingRequestAndNobodyElse() throws Exception {
            String wes = token("wes@example.com", "engineering");
            String id = requested(wes, "prod-admin", "maybe", "1h").get("id").asText();
            HttpResponse<String> byBob = ca.delete("/v1/access-requests/" + id, token("bob@example.com", "sre-leads"));
            assertEquals(403, byBob.statusCode());
            assertEquals("only the requester may withdraw a pending request; approvers deny it instead", detail(byBob));
            HttpResponse<String> withdrawn = ca.delete("/v1/access-requests/" + id, wes);
            assertEquals(200, withdrawn.statusCode(), withdrawn.body());
            assertEquals("withdrawn", JSON.readTree(withdrawn.body()).get("state").asText());
            assertEquals("withdrawn by wes@example.com", JSON.readTree(withdrawn.body()).get("end_reason").asText());
            assertEquals(409, ca.delete("/v1/access-requests/" + id, wes).statusCode());
            assertEquals(201, requestAccess(wes, "prod-admin", "now for real", "1h").statusCode(),
                    "a withdrawn request no longer blocks a new one");
        }

        @Test
        void endsAnActiveGrantEarlyAndReportsItsCertificates() throws Exception {
            String eve = token("eve@example.com", "engineering");
            String id = requested(eve, "prod-admin", "INC-1", "2h").get("id").asText();
            assertEquals(201, review(token("bob@example.com", "sre-leads"), id, "approve").statusCode());
            long first = Long.parseUnsignedLong(certificate(eve).get("serial").asText());
            long second = Long.parseUnsignedLong(certificate(eve).get("serial").asText());
            HttpResponse<String> again = requestAccess(eve, "prod-admin", "more", "1h");
            assertEquals(409, again.statusCode());
            assertTrue(detail(again).startsWith("you already hold a grant for role 'prod-admin' until "), detail(again));

            clock.advance(Duration.ofMinutes(10));
            HttpResponse<String> dropped = ca.delete("/v1/access-requests/" + id, eve);
            assertEquals(200, dropped.statusCode(), dropped.body());
            JsonNode view = JSON.readTree(dropped.body());
            assertEquals("ended", view.get("state").asText());
            assertEquals(clock.instant().toString(), view.get("grant_end").asText());
            assertEquals(List.of(new Ended(id, List.of(Math.min(first, second), Math.max(first, second)),
                    "ended early by eve@example.com")), endedGrants(id));
            assertEquals(List.of("eve"), texts(certificate(eve).get("principals")));
        }

        @Test
        void letsAnApproverEndSomeoneElsesGrant() throws Exception {
            String id = requested(token("fay@example.com", "engineering"), "prod-admin", "INC-2", "1h").get("id").asText();
            String bob = token("bob@example.com", "sre-leads");
            review(bob, id, "approve");
            HttpResponse<String> stranger = ca.delete("/v1/access-requests/" + id, token("gus@example.com", "engineering"));
            assertEquals(403, stranger.statusCode());
            assertEquals("only the requester or an approver of role 'prod-admin' may end this grant", detail(stranger));
            HttpResponse<String> byBob = ca.delete("/v1/access-requests/" + id, bob);
            assertEquals(200, byBob.statusCode());
            assertEquals("ended early by bob@example.com", JSON.readTree(byBob.body()).get("end_reason").asText());
        }

        @Test
        void showsRequestersTheirOwnAndApproversWhatTheyMayReview() throws Exception {
            String hal = token("hal@example.com", "engineering");
            String id = requested(hal, "prod-admin", "INC-3", "1h").get("id").asText();
            JsonNode mine = list(hal, "?mine=true&state=pending");
            assertEquals(List.of(id), mine.findValues("id").stream().map(JsonNode::asText).toList());
            assertFalse(mine.get(0).get("may_review").asBoolean());

            JsonNode forBob = list(token("bob@example.com", "sre-leads"), "?state=pending");
            JsonNode entry = null;
            for (JsonNode r : forBob) {
                if (r.get("id").asText().equals(id)) {
                    entry = r;
                }
            }
            assertNotNull(entry, "an approver sees pending requests they may review");
            assertTrue(entry.get("may_review").asBoolean());
            assertEquals("hal@example.com", entry.get("requester").asText());
            assertEquals("1h", entry.get("time_left").asText());

            String ivy = token("ivy@example.com", "engineering");
            assertFalse(list(ivy, "").findValues("id").stream().anyMatch(n -> n.asText().equals(id)),
                    "others do not see it");
            assertEquals(404, ca.get("/v1/access-requests/" + id, ivy).statusCode());
            assertEquals(200, ca.get("/v1/access-requests/" + id, token("sec@example.com", "security")).statusCode(),
                    "auditors see every request");
            HttpResponse<String> badState = ca.get("/v1/access-requests?state=open", hal);
            assertEquals(400, badState.statusCode());
            assertEquals("state must be one of pending, approved, denied, expired, withdrawn, ended", detail(badState));
            assertEquals(404, ca.get("/v1/access-requests/nope", hal).statusCode());
            assertEquals(401, ca.get("/v1/access-requests", null).statusCode());
        }
    }

    @Nested
    class Webhooks {

        @Test
        void aDeadOrSilentReceiverNeverDelaysAnAnswer() throws Exception {
            for (int i = 0; i < 5; i++) {
                String sre = token("sre" + i + "@example.com", "sre");
                long started = System.nanoTime();
                HttpResponse<String> response = requestAccess(sre, "break-glass", "drill " + i, "5m");
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertEquals(201, response.statusCode(), response.body());
                assertTrue(millis < 2000, "answered in " + millis + " ms, while a silent receiver holds an attempt for 5 s");
            }
            String metrics = ca.get("/metrics").body();
            assertTrue(metrics.contains("writ_webhook_deliveries_total{outcome=\"delivered\"}"), metrics);
        }
    }

    @Nested
    class Audit {

        @Test
        void isForAuditorsOnly() throws Exception {
            HttpResponse<String> response = ca.get("/v1/audit", token("alice@example.com", "engineering"));
            assertEquals(403, response.statusCode());
            assertEquals("only auditors may read the audit log", detail(response));
            assertEquals(401, ca.get("/v1/audit", null).statusCode());
            assertEquals(403, ca.get("/v1/audit/verify", token("alice@example.com", "engineering")).statusCode());
        }

        List<AuditRecord> audit(String query) throws Exception {
            HttpResponse<String> response = ca.get("/v1/audit" + query, token("sec@example.com", "security"));
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("application/x-ndjson", response.headers().firstValue("Content-Type").orElse(""));
            List<AuditRecord> records = new ArrayList<>();
            for (String line : response.body().split("\n")) {
                if (!line.isEmpty()) {
                    records.add(JSON.readValue(line, AuditRecord.class));
                }
            }
            return records;
        }

        @Test
        void filtersByActorTypeTimeAndSequence() throws Exception {
            String jo = token("jo@example.com", "engineering");
            String id = requested(jo, "prod-admin", "INC-5", "1h").get("id").asText();
            List<AuditRecord> mine = audit("?actor=jo@example.com&type=access.*");
            assertEquals(List.of("access.requested"), mine.stream().map(AuditRecord::type).toList());
            assertTrue(mine.get(0).details().contains(id));

            clock.advance(Duration.ofSeconds(30));
            Instant cut = clock.instant();
            review(token("bob@example.com", "sre-leads"), id, "approve");
            List<AuditRecord> since = audit("?since=" + URLEncoder.encode(cut.toString(), StandardCharsets.UTF_8)
                    + "&type=access.approved");
            assertTrue(since.stream().allMatch(r -> !r.at().isBefore(cut)));
            assertTrue(since.stream().anyMatch(r -> r.details().contains(id)));
            assertTrue(audit("?until=" + cut + "&type=access.approved").stream().noneMatch(r -> r.details().contains(id)));

            List<AuditRecord> page = audit("?after_seq=2&limit=3");
            assertEquals(List.of(3L, 4L, 5L), page.stream().map(AuditRecord::seq).toList());
            HttpResponse<String> bad = ca.get("/v1/audit?since=yesterday", token("sec@example.com", "security"));
            assertEquals(400, bad.statusCode());
            assertEquals("since must be an RFC 3339 time such as 2026-11-18T09:00:00Z", detail(bad));
        }

        @Test
        void linesReverifyWithTheProtocolsChainCheck() throws Exception {
            requested(token("kim@example.com", "sre"), "break-glass", "check the chain", "5m");
            List<AuditRecord> all = new ArrayList<>();
            for (List<AuditRecord> page; !(page = audit("?limit=50&after_seq=" + all.size())).isEmpty(); ) {
                all.addAll(page);
            }
            assertTrue(all.size() > 5, "events: " + all.size());
            AuditChain.Verification local = AuditChain.verifyFrom(all, 1, AuditChain.GENESIS);
            assertTrue(local.ok(), local.problem());
            JsonNode server = JSON.readTree(ca.get("/v1/audit/verify", token("sec@example.com", "security")).body());
            assertTrue(server.get("ok").asBoolean(), server.toString());
            assertTrue(server.get("events").asLong() >= all.size());
            assertTrue(server.get("broken_at").isNull());
        }

        @Test
        void reportsATamperedEvent() throws Exception {
            requested(token("lou@example.com", "sre"), "break-glass", "to be tampered with", "5m");
            long seq = count("SELECT MAX(seq) FROM audit_events WHERE actor = 'lou@example.com'");
            try (Connection c = ca.sql(); Statement s = c.createStatement()) {
                s.executeUpdate("DROP TRIGGER audit_events_append_only_update");
                s.executeUpdate("UPDATE audit_events SET actor = 'mallory@example.com' WHERE seq = " + seq);
            }
            try {
                JsonNode result = JSON.readTree(ca.get("/v1/audit/verify", token("sec@example.com", "security")).body());
                assertFalse(result.get("ok").asBoolean());
                assertEquals(seq, result.get("broken_at").asLong());
                assertEquals("event " + seq + " was altered (hash differs)", result.get("problem").asText());
            } finally {
                try (Connection c = ca.sql(); Statement s = c.createStatement()) {
                    s.executeUpdate("UPDATE audit_events SET actor = 'lou@example.com' WHERE seq = " + seq);
                    s.executeUpdate("CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events"
                            + " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END");
                }
            }
        }
    }
}
