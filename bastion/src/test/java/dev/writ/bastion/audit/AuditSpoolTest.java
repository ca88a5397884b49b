package dev.writ.bastion.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.api.BastionAuditEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit spool on a real disk: events get ids whose seq goes on across restarts, stay until
 * the CA has them, survive a restart unsent, and a line a crash cut short is dropped and counted.
 */
class AuditSpoolTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    static final long MAX = 1L << 20;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    BastionMetrics metrics = new BastionMetrics();
    AuditSpool spool;

    @AfterEach
    void close() {
        if (spool != null) {
            spool.close();
        }
    }

    AuditSpool open(long maxBytes) throws Exception {
        if (spool != null) {
            spool.close();
        }
        metrics = new BastionMetrics();
        spool = AuditSpool.open(dir.resolve("audit"), "bastion-1", maxBytes, metrics, CLOCK);
        return spool;
    }

    static BastionAuditEvent refused(String who) {
        return new BastionAuditEvent("login.refused", "refused", who, "192.0.2.7", "certificate_expired", Map.of("login", "root"));
    }

    static List<Long> seqs(List<AuditSpool.Spooled> events) {
        return events.stream().map(AuditSpool.Spooled::seq).toList();
    }

    List<AuditSpool.Spooled> all() {
        return spool.oldest(1000, Long.MAX_VALUE);
    }

    /** A counter or gauge of the bastion's metrics, 0 when absent. */
    double metric(String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(metrics.scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    Path events() {
        return dir.resolve("audit").resolve(AuditSpool.EVENTS);
    }

    @Nested
    class Append {

        @Test
        void givesEachEventAnIdOfBastionStreamAndSeqAndTheTimeItHappened() throws Exception {
            open(MAX);
            spool.append(refused("a@example.com"));
            spool.append(refused("b@example.com"));
            List<AuditSpool.Spooled> events = all();
            assertEquals(List.of(1L, 2L), seqs(events));
            String stream = events.get(0).event().id().split(":")[1];
            assertTrue(stream.matches("[0-9a-f]{16}"), stream);
            assertEquals(List.of("bastion-1:" + stream + ":1", "bastion-1:" + stream + ":2"),
                    events.stream().map(e -> e.event().id()).toList());
            assertEquals("2026-12-07T10:00:00Z", events.get(0).event().at());
            assertEquals("b@example.com", events.get(1).event().actor());
            assertEquals(2, metric("writ_bastion_audit_events_pending"));
        }

        @Test
        void writesOneLinePerEventToAPrivateFileBeforeReturning() throws Exception {
            open(MAX);
            spool.append(refused("a@example.com"));
            List<String> lines = Files.readAllLines(events());
            assertEquals(1, lines.size());
            JsonNode line = JSON.readTree(lines.get(0));
            assertEquals(List.of("login.refused", "a@example.com", "certificate_expired"),
                    List.of(line.get("type").asText(), line.get("actor").asText(), line.get("reason").asText()));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("audit"))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(events())));
        }

        @Test
        void aFullSpoolDropsTheNewEventCountsItAndLeavesAGapInTheSeq() throws Exception {
            open(MAX);
            spool.append(refused("a@example.com"));
            long oneEvent = Files.size(events());
            open(oneEvent * 2 + 1); // room for two events
            spool.append(refused("b@example.com"));
            spool.append(refused("c@example.com"));
            assertEquals(List.of(1L, 2L), seqs(all()));
            assertEquals(1, metric("writ_bastion_audit_events_dropped_total{reason=\"spool_full\"}"));
            spool.ack(2);
            spool.append(refused("d@example.com"));
            assertEquals(List.of(4L), seqs(all()), "seq 3 was dropped: the CA's log shows the gap");
        }
    }

    @Nested
    class Ack {

        @Test
        void acknowledgedEventsLeaveAndAnEmptySpoolEmptiesItsFile() throws Exception {
            open(MAX);
            for (String who : List.of("a", "b", "c")) {
                spool.append(refused(who));
            }
            spool.ack(2);
            assertEquals(List.of(3L), seqs(all()));
            spool.ack(3);
            assertEquals(List.of(), all());
            assertEquals(0, Files.size(events()));
            assertEquals(0, metric("writ_bastion_audit_events_pending"));
        }

        @Test
        void theFileIsRewrittenWithWhatIsLeftOnceEnoughOfItWasSent() throws Exception {
            spool = AuditSpool.open(dir.resolve("audit"), "bastion-1", MAX, 1000, metrics, CLOCK);
            for (int i = 1; i <= 10; i++) {
                spool.append(refused("e" + i));
            }
            long written = bytes(all());
            spool.ack(1);
            assertEquals(written, Files.size(events()), "one line sent is not enough to rewrite");
            spool.ack(8);
            assertEquals(List.of(9L, 10L), seqs(all()));
            assertEquals(bytes(all()), Files.size(events()), "8 sent lines (over 1000 bytes) are gone");
            spool.append(refused("e11"));
            open(MAX);
            assertEquals(List.of(9L, 10L, 11L), seqs(all()));
        }

        static long bytes(List<AuditSpool.Spooled> events) {
            return events.stream().mapToLong(e -> e.line().length).sum();
        }

        @Test
        void aRejectedEventGoesToRejectedJsonlWithWhy() throws Exception {
            open(MAX);
            spool.append(refused("a@example.com"));
            spool.append(refused("b@example.com"));
            spool.reject(all().get(0), "HTTP 400: reason must be a short snake_case word");
            assertEquals(List.of(2L), seqs(all()));
            JsonNode rejected = JSON.readTree(Files.readString(dir.resolve("audit").resolve(AuditSpool.REJECTED)));
            assertEquals("a@example.com", rejected.at("/event/actor").asText());
            assertEquals("HTTP 400: reason must be a short snake_case word", rejected.get("why").asText());
        }

        @Test
        void aBatchIsCutAtItsSizeInEventsAndInBytes() throws Exception {
            open(MAX);
            for (int i = 0; i < 5; i++) {
                spool.append(refused("e" + i));
            }
            assertEquals(List.of(1L, 2L, 3L), seqs(spool.oldest(3, Long.MAX_VALUE)));
            int line = all().get(0).line().length;
            assertEquals(List.of(1L, 2L), seqs(spool.oldest(100, line * 2L + 1)));
            assertEquals(List.of(1L), seqs(spool.oldest(100, 1)), "one event even when it alone is larger");
        }
    }

    @Nested
    class Restart {

        @Test
        void keepsTheStreamTheSeqAndTheUnsentEvents() throws Exception {
            open(MAX);
            for (String who : List.of("a", "b", "c")) {
                spool.append(refused(who));
            }
            String stream = all().get(0).event().id().split(":")[1];
            spool.ack(2);
            open(MAX);
            assertEquals(List.of(3L), seqs(all()));
            assertEquals("c", all().get(0).event().actor());
            spool.append(refused("d"));
            assertEquals(List.of(3L, 4L), seqs(all()));
            assertEquals("bastion-1:" + stream + ":4", all().get(1).event().id());
        }

        @Test
        void keepsTheSeqWhenEverythingWasSent() throws Exception {
            open(MAX);
            spool.append(refused("a"));
            spool.append(refused("b"));
            spool.ack(2);
            open(MAX);
            spool.append(refused("c"));
            assertEquals(List.of(3L), seqs(all()));
        }

        @Test
        void dropsAndCountsALineTheCrashCutShortAndWritesOnAfterIt() throws Exception {
            open(MAX);
            spool.append(refused("a"));
            spool.append(refused("b"));
            spool.close();
            spool = null;
            Files.write(events(), "{\"id\":\"bastion-1:abc:3\",\"type\":\"sess".getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.APPEND);
            open(MAX);
            assertEquals(List.of(1L, 2L), seqs(all()));
            assertEquals(1, metric("writ_bastion_audit_events_dropped_total{reason=\"torn\"}"));
            spool.append(refused("c"));
            assertEquals(List.of(1L, 2L, 3L), seqs(all()));
            assertEquals(3, Files.readAllLines(events()).size(), "the cut line is gone from the file");
            open(MAX);
            assertEquals(List.of(1L, 2L, 3L), seqs(all()));
            assertEquals(0, metric("writ_bastion_audit_events_dropped_total{reason=\"torn\"}"));
        }

        @Test
        void withoutItsStateFileSendsEveryEventAgainUnderTheSameStream() throws Exception {
            open(MAX);
            for (String who : List.of("a", "b", "c")) {
                spool.append(refused(who));
            }
            String stream = all().get(0).event().id().split(":")[1];
            spool.ack(1); // the file still holds 1: it is emptied when nothing is left to send
            Files.delete(dir.resolve("audit").resolve(AuditSpool.STATE));
            open(MAX);
            assertEquals(List.of(1L, 2L, 3L), seqs(all()), "the CA skips the ids it has");
            spool.append(refused("d"));
            assertEquals("bastion-1:" + stream + ":4", all().get(3).event().id());
        }

        @Test
        void aWipedSpoolStartsANewStreamSoNoIdIsReused() throws Exception {
            open(MAX);
            spool.append(refused("a"));
            String first = all().get(0).event().id();
            spool.close();
            spool = null;
            try (var files = Files.list(dir.resolve("audit"))) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            open(MAX);
            spool.append(refused("b"));
            String second = all().get(0).event().id();
            assertTrue(second.endsWith(":1") && !second.equals(first), first + " then " + second);
        }
    }
}
