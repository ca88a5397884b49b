package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CA replicas on one database, a bastion syncing with one of them (B): the other (A) lists
 * its sessions, an admin's end at A reaches the bastion at B and is confirmed at A, and a
 * revocation at A answers the bastion's held sync at B.
 */
class LiveSessionsAcrossReplicasTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa a;
    TestCa b;
    TestBastion bastion;
    String admin;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp();
        bastion = TestBastion.ed25519("bastion-1");
        a = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), LiveSessionsApiTest.POLICY, Clock.systemUTC(),
                "bastions:\n" + bastion.registration(List.of("bastion.test")));
        b = TestCa.replica(dir.resolve("ca"), Clock.systemUTC());
        admin = idp.idToken("root@example.com", List.of("writ-admins", "security"));
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
        idp.close();
    }

    CompletableFuture<HttpResponse<String>> sync(TestCa at, long krl, int waitSeconds, List<Map<String, Object>> sessions)
            throws Exception {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(at.url() + "/v1/bastion/sync"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + bastion.assertion())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        LiveSessionsApiTest.report(krl, waitSeconds, sessions)))).build(), HttpResponse.BodyHandlers.ofString());
    }

    List<String> listed(TestCa at) throws Exception {
        HttpResponse<String> response = at.get("/v1/sessions", admin);
        assertEquals(200, response.statusCode(), response.body());
        List<String> ids = new ArrayList<>();
        JSON.readTree(response.body()).get("sessions").forEach(s -> ids.add(s.get("id").asText()));
        return ids;
    }

    long krlVersion(TestCa at) throws Exception {
        return Long.parseLong(at.get("/v1/krl").headers().firstValue("X-Writ-Krl-Version").orElseThrow());
    }

    static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!check.ok()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.sleep(50);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    @Test
    void theOtherReplicaListsTheSessionsAndItsAdminsEndReachesTheBastion() throws Exception {
        var s1 = LiveSessionsApiTest.session("s-1", "alice@example.com", "web01");
        var s2 = LiveSessionsApiTest.session("s-2", "bob@example.com", "web02");
        long krl = krlVersion(b);
        assertEquals(200, sync(b, krl, 0, List.of(s1, s2)).get(10, TimeUnit.SECONDS).statusCode());
        await("replica A lists the sessions the bastion reported to B", () -> listed(a).equals(List.of("s-1", "s-2")));

        CompletableFuture<HttpResponse<String>> held = sync(b, krl, 20, List.of(s1, s2));
        Thread.sleep(300);
        assertFalse(held.isDone(), "nothing new yet");
        CompletableFuture<HttpResponse<String>> ending = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(a.url()
                        + "/v1/sessions/s-1?reason=incident")).header("Authorization", "Bearer " + admin).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> told = held.get(5, TimeUnit.SECONDS);
        JsonNode end = JSON.readTree(told.body()).get("end");
        assertEquals(1, end.size(), told.body());
        assertEquals("s-1", end.get(0).get("id").asText());
        assertEquals("root@example.com", end.get(0).get("by").asText());
        assertFalse(ending.isDone(), "not confirmed before the bastion reports the session closed");

        assertEquals(200, sync(b, krl, 0, List.of(s2)).get(10, TimeUnit.SECONDS).statusCode());
        HttpResponse<String> ended = ending.get(8, TimeUnit.SECONDS);
        assertEquals(200, ended.statusCode(), "confirmed at A by the report the bastion made to B: " + ended.body());
        assertTrue(JSON.readTree(ended.body()).get("ended").asBoolean());
        assertEquals(List.of("s-2"), listed(a));
        assertEquals(List.of("s-2"), listed(b));
    }

    @Test
    void aRevocationAtOneReplicaAnswersTheSyncHeldAtTheOther() throws Exception {
        long krl = krlVersion(b);
        CompletableFuture<HttpResponse<String>> held = sync(b, krl, 20, List.of());
        Thread.sleep(300);
        assertFalse(held.isDone(), "nothing new yet");
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        HttpResponse<String> revoked = a.post("/v1/revocations", admin,
                JSON.writeValueAsString(Map.of("public_key", key, "reason", "leaked")));
        assertEquals(200, revoked.statusCode(), revoked.body());
        long start = System.nanoTime();
        HttpResponse<String> answer = held.get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
        assertTrue(JSON.readTree(answer.body()).get("krl_version").asLong() > krl, answer.body());
    }

    @Test
    void aReplicaStartedLaterKnowsTheSessionsReportedBefore() throws Exception {
        var s1 = LiveSessionsApiTest.session("s-9", "alice@example.com", "web01");
        assertEquals(200, sync(a, krlVersion(a), 0, List.of(s1)).get(10, TimeUnit.SECONDS).statusCode());
        try (TestCa late = TestCa.replica(dir.resolve("ca"), Clock.systemUTC())) {
            assertEquals(List.of("s-9"), listed(late));
        }
    }
}
