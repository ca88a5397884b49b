package dev.writ.protocol.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuditChainTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-21T08:00:00.125Z");

    /** A well-formed chain of {@code n} events, each with details that exercise escaping. */
    static List<AuditRecord> chain(int n) {
        List<AuditRecord> events = new ArrayList<>();
        String prev = AuditChain.GENESIS;
        for (int seq = 1; seq <= n; seq++) {
            Instant at = T0.plusSeconds(seq);
            String details = "{\"n\":" + seq + ",\"note\":\"line\\nbreak \\\"quoted\\\" \u00e9\",\"roles\":[\"a\",\"b\"],"
                    + "\"nested\":{\"x\":1.5,\"y\":null}}";
            String hash = AuditChain.hash(prev, seq, at.toEpochMilli(), "test.event", "alice", "ok",
                    seq % 2 == 0 ? null : "127.0.0.1", details);
            events.add(new AuditRecord(seq, at, "test.event", "alice", "ok", seq % 2 == 0 ? null : "127.0.0.1", details,
                    prev, hash));
            prev = hash;
        }
        return events;
    }

    static AuditRecord with(AuditRecord r, String actor, String hash) {
        return new AuditRecord(r.seq(), r.at(), r.type(), actor, r.outcome(), r.clientAddress(), r.details(), r.prevHash(),
                hash);
    }

    @Nested
    class Verifying {

        static Stream<Arguments> cases() {
            List<AuditRecord> five = chain(5);
            List<AuditRecord> altered = new ArrayList<>(five);
            altered.set(2, with(five.get(2), "mallory", five.get(2).hash()));
            List<AuditRecord> rehashed = new ArrayList<>(five);
            AuditRecord forged = with(five.get(1), "mallory", "placeholder");
            rehashed.set(1, with(forged, "mallory", AuditChain.hash(with(forged, "mallory", "x"))));
            List<AuditRecord> gap = new ArrayList<>(five);
            gap.remove(1);
            return Stream.of(
                    Arguments.of("ok/untouched", five, 5L, five.get(4).hash(), null, null),
                    Arguments.of("ok/empty-log", List.of(), null, null, null, null),
                    Arguments.of("fail/altered-event", altered, 5L, five.get(4).hash(), 3L,
                            "event 3 was altered (hash differs)"),
                    Arguments.of("fail/altered-and-rehashed", rehashed, 5L, five.get(4).hash(), 3L,
                            "event 3 does not follow the previous event (prev_hash differs)"),
                    Arguments.of("fail/missing-event", gap, 5L, five.get(4).hash(), 2L, "event 2 is missing"),
                    Arguments.of("fail/truncated-tail", five.subList(0, 3), 5L, five.get(4).hash(), 4L,
                            "the log ends at event 3 but its head records event 5: events were removed from the end"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void findsTheFirstBreak(String name, List<AuditRecord> events, Long headSeq, String headHash, Long brokenAt,
                                String problem) {
            AuditChain.Verification result = AuditChain.verify(events, headSeq, headHash);
            assertEquals(brokenAt == null, result.ok(), String.valueOf(result.problem()));
            assertEquals(brokenAt, result.brokenAt());
            assertEquals(problem, result.problem());
        }

        @Test
        void checksAPageThatStartsInTheMiddle() {
            List<AuditRecord> five = chain(5);
            assertTrue(AuditChain.verifyFrom(five.subList(2, 5), 3, five.get(1).hash()).ok());
            AuditChain.Verification wrongStart = AuditChain.verifyFrom(five.subList(2, 5), 3, five.get(0).hash());
            assertFalse(wrongStart.ok());
            assertEquals(3L, wrongStart.brokenAt());
        }
    }

    @Nested
    class JsonLines {

        @Test
        void roundTripsEveryFieldSoTheChainStillVerifies() throws Exception {
            List<AuditRecord> five = chain(5);
            List<AuditRecord> read = new ArrayList<>();
            for (AuditRecord r : five) {
                String line = JSON.writeValueAsString(r);
                assertFalse(line.contains("\n"), line);
                read.add(JSON.readValue(line, AuditRecord.class));
            }
            assertEquals(five, read);
            assertTrue(AuditChain.verify(read, 5L, five.get(4).hash()).ok());
        }

        @Test
        void embedsDetailsAsAnObjectAndTimesAsText() throws Exception {
            var node = JSON.readTree(JSON.writeValueAsString(chain(1).get(0)));
            assertTrue(node.get("details").isObject(), node.toString());
            assertEquals("line\nbreak \"quoted\" \u00e9", node.get("details").get("note").asText());
            assertEquals("2026-11-21T08:00:01.125Z", node.get("at").asText());
            assertEquals("127.0.0.1", node.get("client_address").asText());
            assertEquals(AuditChain.GENESIS, node.get("prev_hash").asText());
        }

        @Test
        void carriesDetailsThatAreNotAnObjectAsAString() throws Exception {
            AuditRecord odd = new AuditRecord(1, T0, "t", "a", "ok", null, "not json {", AuditChain.GENESIS, "h");
            String line = JSON.writeValueAsString(odd);
            assertEquals("not json {", JSON.readTree(line).get("details").asText());
            assertEquals(odd, JSON.readValue(line, AuditRecord.class));
        }
    }
}
