package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/bastion/sync}, {@code GET /v1/sessions} and {@code DELETE /v1/sessions/{id}}
 * over HTTP against a real CA: the sync is held until there is news (a revocation, a session an
 * admin ended), the list follows the bastions' reports and events, and ending is audited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveSessionsApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
            admins:
              - match: { groups: [writ-admins] }
            auditors:
              - match: { groups: [security] }
            """;

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    TestBastion bastion;
    TestBastion other;
    String admin;
    String auditor;
    String engineer;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = TestBastion.ed25519("bastion-1");
        other = TestBastion.ed25519("bastion-2");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(), "bastions:\n"
                + bastion.registration(List.of("bastion.test")) + other.registration(List.of("bastion2.test")));
        admin = idp.idToken("root@example.com", List.of("writ-admins", "security"));
        auditor = idp.idToken("hal@example.com", List.of("security"));
        engineer = idp.idToken("alice@example.com", List.of("engineering"));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    static Map<String, Object> session(String id, String identity, String target) {
        return Map.of("id", id, "identity", identity, "login", "alice", "target", target, "client_address", "127.0.0.1",
                "started", "2026-11-21T10:00:00Z", "serial", "42");
    }

    static Map<String, Object> report(long krlVersion, int waitSeconds, List<Map<String, Object>> sessions) {
        return Map.of("krl_version", krlVersion, "wait_seconds", waitSeconds, "sessions", sessions);
    }

    CompletableFuture<HttpResponse<String>> sync(TestBastion who, Map<String, Object> report) throws Exception {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/bastion/sync"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + who.assertion())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(report))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ca.url() + path)).method(method,
                HttpRequest.BodyPublishers.noBody());
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    long krlVersion() throws Exception {
        HttpResponse<String> krl = send("GET", "/v1/krl", null);
        return Long.parseLong(krl.headers().firstValue("X-Writ-Krl-Version").orElseThrow());
    }

    /** The ids of the sessions listed at one bastion (the tests share the CA). */
    List<String> listed(TestBastion at) throws Exception {
        HttpResponse<String> response = send("GET", "/v1/sessions", auditor);
        assertEquals(200, response.statusCode(), response.body());
        List<String> ids = new ArrayList<>();
        JSON.readTree(response.body()).get("sessions").forEach(s -> {
            if (s.get("bastion").asText().equals(at.name)) {
                ids.add(s.get("id").asText());
            }
        });
        return ids;
    }

    long audited(String type, String like) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM audit_events WHERE type = '" + type + "' AND details LIKE '%"
                     + like + "%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Revokes a fresh key as an admin: the KRL's version grows. */
    void revokeAKey() throws Exception {
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        HttpResponse<String> revocation = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/revocations"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + admin)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("public_key", key,
                        "reason", "leaked")))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, revocation.statusCode(), revocation.body());
    }

    @Test
    void aSyncWithNothingNewIsHeldForItsWaitAndOneBehindTheKrlIsAnsweredAtOnce() throws Exception {
        revokeAKey();
        long version = krlVersion();
        long start = System.nanoTime();
        HttpResponse<String> held = sync(other, report(version, 1, List.of())).get(10, TimeUnit.SECONDS);
        long heldMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, held.statusCode(), held.body());
        assertTrue(heldMillis >= 900, "held for its wait, not answered at once: " + heldMillis + " ms");
        assertEquals(version, JSON.readTree(held.body()).get("krl_version").asLong());

        start = System.nanoTime();
        HttpResponse<String> behind = sync(other, report(version - 1, 20, List.of())).get(10, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000, "answered at once");
        assertEquals(version, JSON.readTree(behind.body()).get("krl_version").asLong());
    }

    @Test
    void aRevocationAnswersTheHeldSyncWithinASecond() throws Exception {
        long version = krlVersion();
        CompletableFuture<HttpResponse<String>> held = sync(bastion, report(version, 20, List.of()));
        Thread.sleep(300); // the sync is waiting at the CA
        assertFalse(held.isDone(), "nothing new yet");

        long start = System.nanoTime();
        revokeAKey();

        HttpResponse<String> answer = held.get(5, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1_500, "pushed within a second or so, not after the 20 s wait: " + millis + " ms");
        assertTrue(JSON.readTree(answer.body()).get("krl_version").asLong() > version, answer.body());
    }

    @Test
    void sessionsAreListedFromReportsAndEventsAndEndedByAnAdminWithAnAuditEvent() throws Exception {
        long version = krlVersion();
        // the bastion reports s-a; while its sync is held, s-b starts (an audit event) — both are listed
        CompletableFuture<HttpResponse<String>> held = sync(bastion, report(version, 20,
                List.of(session("s-a", "alice@example.com", "web01"))));
        Thread.sleep(300);
        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/audit/bastion"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + bastion.assertion())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("type", "session.started",
                        "outcome", "ok", "actor", "bob@example.com", "client_address", "127.0.0.2",
                        "details", Map.of("session_id", "s-b", "login", "bob", "target", "web02", "serial", "7", "kind", "direct"))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(204, started.statusCode(), started.body());
        assertTrue(listed(bastion).containsAll(List.of("s-a", "s-b")), listed(bastion).toString());
        JsonNode listing = JSON.readTree(send("GET", "/v1/sessions", auditor).body()).get("sessions");
        JsonNode b = null;
        for (JsonNode s : listing) {
            if (s.get("id").asText().equals("s-b")) {
                b = s;
            }
        }
        assertEquals("bob@example.com", b.get("identity").asText());
        assertEquals("web02", b.get("target").asText());
        assertEquals("bastion-1", b.get("bastion").asText(), "the CA names the bastion, from its credential");

        // the admin ends s-a: the held sync is answered with it at once
        CompletableFuture<HttpResponse<String>> ending = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(ca.url()
                        + "/v1/sessions/s-a?reason=" + URLEncoder.encode("incident 7: stop now", StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + admin).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> answer = held.get(5, TimeUnit.SECONDS);
        JsonNode end = JSON.readTree(answer.body()).get("end");
        assertEquals(1, end.size(), answer.body());
        assertEquals("s-a", end.get(0).get("id").asText());
        assertEquals("root@example.com", end.get(0).get("by").asText());
        assertEquals("incident 7: stop now", end.get(0).get("reason").asText());
        assertFalse(ending.isDone(), "the admin waits for the bastion to confirm");

        // the bastion's next report lacks s-a: the admin hears it ended
        CompletableFuture<HttpResponse<String>> next = sync(bastion, report(version, 20,
                List.of(session("s-b", "bob@example.com", "web02"))));
        HttpResponse<String> ended = ending.get(5, TimeUnit.SECONDS);
        assertEquals(200, ended.statusCode(), ended.body());
        assertTrue(JSON.readTree(ended.body()).get("ended").asBoolean());
        assertEquals("alice@example.com", JSON.readTree(ended.body()).get("session").get("identity").asText());
        assertEquals(List.of("s-b"), listed(bastion));
        assertEquals(1, audited(LiveSessions.END_EVENT, "incident 7: stop now"));

        // an ended event removes s-b at once, and the next report (sent before it) does not bring it back
        HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/audit/bastion"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + bastion.assertion())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("type", "session.ended",
                        "outcome", "ok", "actor", "bob@example.com", "reason", "closed",
                        "details", Map.of("session_id", "s-b", "login", "bob", "target", "web02"))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(List.of(), listed(bastion));
        sync(bastion, report(version, 0, List.of(session("s-b", "bob@example.com", "web02")))).get(5, TimeUnit.SECONDS);
        assertEquals(List.of(), listed(bastion));
        next.get(5, TimeUnit.SECONDS);
    }

    @Test
    void refusalsAreClearAndChangeNothing() throws Exception {
        sync(other, report(krlVersion(), 0, List.of(session("s-x", "carol@example.com", "web03")))).get(5, TimeUnit.SECONDS);
        assertTrue(listed(other).contains("s-x"));

        HttpResponse<String> engineerLists = send("GET", "/v1/sessions", engineer);
        assertEquals(403, engineerLists.statusCode());
        assertEquals("only auditors may list live sessions", JSON.readTree(engineerLists.body()).get("detail").asText());

        HttpResponse<String> auditorEnds = send("DELETE", "/v1/sessions/s-x?reason=x", auditor);
        assertEquals(403, auditorEnds.statusCode(), "ending a session is for admins");

        HttpResponse<String> noReason = send("DELETE", "/v1/sessions/s-x", admin);
        assertEquals(400, noReason.statusCode());
        assertTrue(JSON.readTree(noReason.body()).get("detail").asText().startsWith("reason is required"), noReason.body());

        HttpResponse<String> unknown = send("DELETE", "/v1/sessions/nope?reason=x", admin);
        assertEquals(404, unknown.statusCode());
        assertEquals("no live session nope (writ sessions list shows them)", JSON.readTree(unknown.body()).get("detail").asText());

        HttpResponse<String> badSync = sync(other, Map.of("krl_version", 1, "wait_seconds", 1,
                "sessions", List.of(Map.of("id", "bad id!")))).get(5, TimeUnit.SECONDS);
        assertEquals(400, badSync.statusCode(), badSync.body());
        HttpResponse<String> unsigned = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/bastion/sync"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + engineer)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, unsigned.statusCode(), "an engineer's token is not a bastion's");

        assertTrue(listed(other).contains("s-x"), "nothing changed");
        assertEquals(0, audited(LiveSessions.END_EVENT, "s-x"));
    }
}
