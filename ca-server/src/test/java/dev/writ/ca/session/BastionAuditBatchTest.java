package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /v1/audit/bastion/batch}: a bastion's spooled events reach the hash-chained audit
 * log once each, in the order sent, whatever the bastion sends again after a lost answer; a batch
 * with one bad event is refused whole, naming the event.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BastionAuditBatchTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    TestBastion bastion;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = TestBastion.ed25519("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), "roles: []\n", Clock.systemUTC(), "bastions:\n"
                + bastion.registration(List.of("bastion.test")));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    /** A refused login as the bastion's spool sends it: {@code seq} in stream {@code stream}. */
    static Map<String, Object> event(String stream, long seq) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", "bastion-1:" + stream + ":" + seq);
        event.put("at", "2026-12-07T10:00:0" + (seq % 10) + "Z");
        event.put("type", "login.refused");
        event.put("outcome", "refused");
        event.put("actor", "mallory@example.com");
        event.put("client_address", "192.0.2.7");
        event.put("reason", "certificate_expired");
        event.put("details", Map.of("login", "root"));
        return event;
    }

    HttpResponse<String> post(String path, Object body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + bastion.assertion())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> batch(List<Map<String, Object>> events) throws Exception {
        return post("/v1/audit/bastion/batch", Map.of("events", events));
    }

    void assertAnswer(HttpResponse<String> response, int stored, int duplicates) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = JSON.readTree(response.body());
        assertEquals(List.of(stored, duplicates), List.of(answer.get("stored").asInt(), answer.get("duplicates").asInt()));
    }

    /** The bastion_seq of the stream's events in the audit log, in the log's order. */
    List<Long> logged(String stream) throws Exception {
        List<Long> seqs = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT details FROM audit_events WHERE type LIKE 'bastion.%' ORDER BY seq")) {
            while (rs.next()) {
                JsonNode details = JSON.readTree(rs.getString(1));
                if (details.path("event_id").asText().startsWith("bastion-1:" + stream + ":")) {
                    seqs.add(details.get("bastion_seq").asLong());
                }
            }
        }
        return seqs;
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Nested
    class StoredOnce {

        @Test
        void okTheSameBatchPostedTwiceIsStoredOnce() throws Exception {
            List<Map<String, Object>> events = List.of(event("twice", 1), event("twice", 2));
            assertAnswer(batch(events), 2, 0);
            assertAnswer(batch(events), 0, 2);
            assertEquals(List.of(1L, 2L), logged("twice"));
            assertEquals(2, count("SELECT COUNT(*) FROM bastion_audit_ids WHERE stream = 'twice'"));
        }

        @Test
        void okABatchOverlappingTheLastStoresOnlyTheNewEventsInOrder() throws Exception {
            assertAnswer(batch(List.of(event("overlap", 1), event("overlap", 2))), 2, 0);
            assertAnswer(batch(List.of(event("overlap", 2), event("overlap", 3), event("overlap", 4))), 2, 1);
            assertEquals(List.of(1L, 2L, 3L, 4L), logged("overlap"));
        }

        @Test
        void okTheSameIdTwiceInOneBatchIsStoredOnce() throws Exception {
            assertAnswer(batch(List.of(event("inbatch", 1), event("inbatch", 1))), 1, 1);
            assertEquals(List.of(1L), logged("inbatch"));
        }

        @Test
        void okTheSingleEventEndpointStoresAnIdOnceToo() throws Exception {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> response = post("/v1/audit/bastion", event("single", 1));
                assertEquals(204, response.statusCode(), response.body());
            }
            assertEquals(List.of(1L), logged("single"));
        }

        @Test
        void okKeepsWhenTheEventHappenedAtTheBastionAndTheChainHolds() throws Exception {
            assertAnswer(batch(List.of(event("when", 3))), 1, 0);
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE details LIKE '%\"event_id\":\"bastion-1:when:3\"%'"
                    + " AND details LIKE '%\"occurred_at\":\"2026-12-07T10:00:03Z\"%'"
                    + " AND details LIKE '%\"bastion\":\"bastion-1\"%' AND type = 'bastion.login.refused'"));
            try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT i.audit_seq = e.seq FROM bastion_audit_ids i JOIN audit_events e ON e.seq = i.audit_seq"
                            + " WHERE i.stream = 'when' AND e.details LIKE '%bastion-1:when:3%'")) {
                assertTrue(rs.next(), "the id row names its audit event");
            }
        }
    }

    static Stream<Arguments> refusedBatches() {
        Map<String, Object> otherBastion = event("bad", 1);
        otherBastion.put("id", "bastion-2:bad:1");
        Map<String, Object> noSeq = event("bad", 1);
        noSeq.put("id", "bastion-1:bad");
        Map<String, Object> zeroSeq = event("bad", 1);
        zeroSeq.put("id", "bastion-1:bad:0");
        Map<String, Object> badTime = event("bad", 1);
        badTime.put("at", "yesterday");
        Map<String, Object> badType = event("bad", 2);
        badType.put("type", "certificate.issued");
        String idFormat = "id must be <bastion>:<stream>:<seq> (stream: 1 to 32 lower-case letters and digits, seq: a positive number)";
        return Stream.of(
                Arguments.of("fail/id-of-another-bastion", List.of(otherBastion),
                        "events[0]: id must start with this bastion's name, bastion-1:"),
                Arguments.of("fail/id-without-seq", List.of(noSeq), "events[0]: " + idFormat),
                Arguments.of("fail/id-seq-zero", List.of(zeroSeq), "events[0]: " + idFormat),
                Arguments.of("fail/at-not-a-time", List.of(badTime),
                        "events[0]: at must be an ISO-8601 time such as 2026-01-31T09:30:00Z"),
                Arguments.of("fail/one-bad-event-refuses-the-batch", List.of(event("bad", 1), badType, event("bad", 3)),
                        "events[1]: type must be one of " + new java.util.TreeSet<>(dev.writ.protocol.api.BastionAuditEvent.TYPES)),
                Arguments.of("fail/null-event", java.util.Collections.singletonList(null), "events[0]: an event must be an object"),
                Arguments.of("fail/no-events", List.of(), "events must hold 1 to 100 events"),
                Arguments.of("fail/too-many-events", IntStream.rangeClosed(1, 101).mapToObj(i -> event("bad", i)).toList(),
                        "events must hold 1 to 100 events"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedBatches")
    void refusesTheWholeBatchNamingTheBadEvent(String name, List<Map<String, Object>> events, String detail) throws Exception {
        String reported = "SELECT COUNT(*) FROM audit_events WHERE type LIKE 'bastion.%'"; // the refusal itself is audited
        long before = count(reported);
        HttpResponse<String> response = batch(events);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals(detail, JSON.readTree(response.body()).get("detail").asText());
        assertEquals(before, count(reported), "nothing of a refused batch is written");
    }
}
