package dev.writ.bastion.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.ChannelInfo;
import dev.writ.bastion.observe.Direction;
import dev.writ.bastion.observe.EndReason;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.observe.SessionControl;
import dev.writ.policy.RecordingMode;
import dev.writ.protocol.recording.Asciicast;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a channel's recording holds, written by the flusher into a real spool directory. */
class ChannelRecordingTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant OPENED = Instant.parse("2026-11-21T10:00:00.250Z");

    @TempDir
    Path dir;
    Spool spool;
    Flusher flusher;
    Ending session;
    final BastionMetrics metrics = new BastionMetrics();
    final MovingClock clock = new MovingClock(OPENED);

    @BeforeEach
    void spool() throws Exception {
        spool = Spool.open(Files.createDirectories(dir.resolve("spool")));
        flusher = new Flusher(spool, metrics, () -> { });
        session = new Ending();
    }

    /** The session side of a recording: what it was asked to do. */
    static final class Ending implements SessionControl {
        final List<String> ended = new CopyOnWriteArrayList<>();
        volatile EndReason ending;

        @Override
        public EndReason ending() {
            return ending;
        }

        @Override
        public void end(String reason, String message) {
            ended.add(reason + ": " + message);
        }

        @Override
        public void recording(CompletionStage<RecordingLoss> settled) {
        }
    }

    /** The edge of the world: time, moved by the test. */
    static final class MovingClock extends Clock {
        private volatile Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    static ChannelInfo info(String type, RecordingMode mode, boolean recordInput, Map<String, String> details) {
        return new ChannelInfo("5e55", 3, "alice@example.com", "18446744073709551615", "root", "web01", type, OPENED, details,
                "192.0.2.7", List.of("engineer", "prod-admin"), List.of("prod-admin"), mode, recordInput);
    }

    ChannelRecording recording(ChannelInfo info, long limit) {
        ChannelRecording recording = new ChannelRecording(info, session, clock, metrics, limit, () -> { });
        flusher.add(recording);
        return recording;
    }

    ChannelRecording terminal(RecordingMode mode, boolean recordInput, long limit) {
        ChannelRecording recording = recording(info("session", mode, recordInput, Map.of()), limit);
        recording.request(Direction.TO_TARGET, "pty-req", ptyReq("xterm-256color", 120, 40), true);
        recording.request(Direction.TO_TARGET, "shell", new byte[0], true);
        return recording;
    }

    Asciicast.Recording finished(ChannelRecording recording) throws Exception {
        recording.closed();
        flusher.pass();
        assertTrue(recording.settled().isDone(), "settled once written out");
        Path file = spool.done(recording.id());
        assertTrue(Files.exists(file), "no " + file);
        assertFalse(Files.exists(spool.part(recording.id())));
        return Asciicast.read(new StringReader(Files.readString(file)));
    }

    static void out(ChannelRecording recording, String text) {
        bytes(recording, Direction.TO_CLIENT, text.getBytes(StandardCharsets.UTF_8));
    }

    static void bytes(ChannelRecording recording, Direction direction, byte[] bytes) {
        recording.data(direction, false, bytes, 0, bytes.length);
    }

    static String text(Asciicast.Recording recording, String code) {
        return recording.events().stream().filter(e -> e.code().equals(code)).map(Asciicast.Event::data).collect(Collectors.joining());
    }

    static List<JsonNode> markers(Asciicast.Recording recording) throws Exception {
        List<JsonNode> markers = new java.util.ArrayList<>();
        for (Asciicast.Event event : recording.events()) {
            if (event.code().equals("m")) {
                markers.add(JSON.readTree(event.data()));
            }
        }
        return markers;
    }

    @Nested
    class Terminals {

        @Test
        void aShellWithAPtyRecordsItsOutputExactlyWithItsSizeAndTerm() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            byte[] greeting = "héllo ✓ \u001b[1mbold\u001b[0m\r\n".getBytes(StandardCharsets.UTF_8);
            // a character cut in two by the chunks, and stderr in between
            recording.data(Direction.TO_CLIENT, false, greeting, 0, 2);
            flusher.pass();
            recording.data(Direction.TO_CLIENT, false, greeting, 2, greeting.length - 2);
            recording.data(Direction.TO_CLIENT, true, "oops\r\n".getBytes(StandardCharsets.UTF_8), 0, 6);
            bytes(recording, Direction.TO_TARGET, "secret\r".getBytes(StandardCharsets.UTF_8));
            recording.request(Direction.TO_CLIENT, "exit-status", uint(0), true);

            Asciicast.Recording cast = finished(recording);

            assertEquals(120, cast.header().width());
            assertEquals(40, cast.header().height());
            assertEquals("xterm-256color", cast.header().term());
            assertEquals(OPENED.getEpochSecond(), cast.header().timestamp());
            assertEquals("héllo ✓ \u001b[1mbold\u001b[0m\r\noops\r\n", text(cast, "o"));
            assertEquals("", text(cast, "i"), "input is not recorded unless policy says so");
            assertEquals(List.of("shell", "exit", "closed"), markers(cast).stream().map(m -> m.get("event").asText()).toList());
            assertEquals(0, markers(cast).get(1).get("status").asInt());
            assertFalse(cast.truncated());
        }

        @Test
        void aShellQuietAtItsEndLastsUntilItClosed() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            clock.advance(Duration.ofMillis(4700));
            out(recording, "$ ");
            clock.advance(Duration.ofSeconds(871));

            Asciicast.Recording cast = finished(recording);

            Asciicast.Event last = cast.events().get(cast.events().size() - 1);
            assertEquals(875.7, last.time(), 1e-9);
            assertEquals("{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":2}", last.data());
        }

        @Test
        void aShellAnAdminEndedSaysWhoAndWhyJustBeforeItCloses() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            clock.advance(Duration.ofMillis(4700));
            out(recording, "$ ");
            clock.advance(Duration.ofSeconds(871));
            session.ending = new EndReason("ended_by_admin", "sam@example.com", "INC-9 \"credential\" leak");

            Asciicast.Recording cast = finished(recording);

            List<String> last = cast.events().subList(cast.events().size() - 2, cast.events().size()).stream()
                    .map(e -> e.time() + " " + e.code() + " " + e.data()).toList();
            assertEquals(List.of("875.7 m {\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                    + "\"admin_reason\":\"INC-9 \\\"credential\\\" leak\"}",
                    "875.7 m {\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":2}"), last);
        }

        @Test
        void aChannelClosedWhileTheSessionGoesOnSaysNothingOfAnEnd() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            out(recording, "bye\r\n");

            Asciicast.Recording cast = finished(recording);

            assertEquals(List.of("shell", "closed"), markers(cast).stream().map(m -> m.get("event").asText()).toList());
        }

        @Test
        void inputIsRecordedWhenPolicySaysSo() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.STRICT, true, 1 << 20);
            bytes(recording, Direction.TO_TARGET, "ls -l\r".getBytes(StandardCharsets.UTF_8));
            out(recording, "ls -l\r\ntotal 0\r\n"); // the terminal's echo, then the command's output

            Asciicast.Recording cast = finished(recording);

            assertEquals("ls -l\r", text(cast, "i"));
            assertEquals("ls -l\r\ntotal 0\r\n", text(cast, "o"));
            assertEquals("true", cast.header().writ().get("record_input"));
        }

        @Test
        void aWindowChangeIsAResizeEvent() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            out(recording, "before");
            recording.request(Direction.TO_TARGET, "window-change", windowChange(100, 30), true);
            out(recording, "after");

            Asciicast.Recording cast = finished(recording);

            List<String> codes = cast.events().stream().map(e -> e.code() + ":" + e.data()).filter(e -> !e.startsWith("m:")).toList();
            assertEquals(List.of("o:before", "r:100x30", "o:after"), codes);
        }

        @Test
        void anExecWithAPtyIsATerminalNamingItsCommand() throws Exception {
            ChannelRecording recording = recording(info("session", RecordingMode.BEST_EFFORT, false, Map.of()), 1 << 20);
            recording.request(Direction.TO_TARGET, "pty-req", ptyReq("vt100", 80, 24), true);
            recording.request(Direction.TO_TARGET, "exec", string("top -b -n 1"), true);
            out(recording, "load average");

            Asciicast.Recording cast = finished(recording);

            assertEquals("terminal", cast.header().writ().get("recording"));
            assertEquals("top -b -n 1", cast.header().writ().get("command"));
            assertEquals("load average", text(cast, "o"));
        }

        @Test
        void everyFactOfTheChannelIsInTheHeader() throws Exception {
            // a guard: a new ChannelInfo field must be decided on here (recorded, or deliberately not)
            assertEquals(14, ChannelInfo.class.getRecordComponents().length);
            Asciicast.Recording cast = finished(terminal(RecordingMode.STRICT, false, 1 << 20));
            assertEquals(Map.ofEntries(
                    Map.entry("session_id", "5e55"),
                    Map.entry("channel", "3"),
                    Map.entry("identity", "alice@example.com"),
                    Map.entry("serial", "18446744073709551615"),
                    Map.entry("login", "root"),
                    Map.entry("target", "web01"),
                    Map.entry("channel_type", "session"),
                    Map.entry("client_address", "192.0.2.7"),
                    Map.entry("roles", "engineer,prod-admin"),
                    Map.entry("grant", "prod-admin"),
                    Map.entry("mode", "strict"),
                    Map.entry("record_input", "false"),
                    Map.entry("recording", "terminal")), cast.header().writ());
        }
    }

    @Nested
    class Events {

        @Test
        void anExecWithoutAPtyRecordsItsCommandExitStatusAndBytes() throws Exception {
            ChannelRecording recording = recording(info("session", RecordingMode.BEST_EFFORT, false, Map.of()), 1 << 20);
            recording.request(Direction.TO_TARGET, "exec", string("tar czf - /etc"), true);
            bytes(recording, Direction.TO_TARGET, new byte[100]);
            bytes(recording, Direction.TO_CLIENT, new byte[4000]);
            recording.request(Direction.TO_CLIENT, "exit-status", uint(2), true);

            Asciicast.Recording cast = finished(recording);

            assertEquals("events", cast.header().writ().get("recording"));
            assertEquals("tar czf - /etc", cast.header().writ().get("command"));
            assertEquals(80, cast.header().width());
            assertEquals("", text(cast, "o"), "only events: no data");
            List<JsonNode> markers = markers(cast);
            assertEquals("{\"event\":\"exec\",\"command\":\"tar czf - /etc\"}", markers.get(0).toString());
            assertEquals("{\"event\":\"exit\",\"status\":2}", markers.get(1).toString());
            assertEquals("{\"event\":\"closed\",\"bytes_to_target\":100,\"bytes_to_client\":4000}", markers.get(2).toString());
        }

        @Test
        void aCommandKilledAfterLongSilenceIsClosedAtTheTimeItClosedNotAtItsLastEvent() throws Exception {
            ChannelRecording recording = recording(info("session", RecordingMode.BEST_EFFORT, false, Map.of()), 1 << 20);
            clock.advance(Duration.ofMillis(250));
            recording.request(Direction.TO_TARGET, "exec", string("sleep 3600"), true);
            flusher.pass();
            clock.advance(Duration.ofMillis(3650));
            recording.request(Direction.TO_TARGET, "signal", string("KILL"), true);
            clock.advance(Duration.ofSeconds(873));

            Asciicast.Recording cast = finished(recording);

            assertEquals(List.of("0.25 m {\"event\":\"exec\",\"command\":\"sleep 3600\"}",
                    "3.9 m {\"event\":\"signal\",\"name\":\"KILL\"}",
                    "876.9 m {\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":0}"),
                    cast.events().stream().map(e -> e.time() + " " + e.code() + " " + e.data()).toList());
        }

        @Test
        void aSubsystemIsRecordedByName() throws Exception {
            ChannelRecording recording = recording(info("session", RecordingMode.BEST_EFFORT, false, Map.of()), 1 << 20);
            recording.request(Direction.TO_TARGET, "subsystem", string("sftp"), true);
            bytes(recording, Direction.TO_CLIENT, new byte[7]);

            Asciicast.Recording cast = finished(recording);

            assertEquals("sftp", cast.header().writ().get("subsystem"));
            assertEquals("{\"event\":\"subsystem\",\"name\":\"sftp\"}", markers(cast).get(0).toString());
            assertEquals(7, markers(cast).get(1).get("bytes_to_client").asInt());
        }

        @Test
        void aPortForwardIsRecordedWithItsDestinationAndByteCounts() throws Exception {
            ChannelRecording recording = recording(info("direct-tcpip", RecordingMode.BEST_EFFORT, false,
                    Map.of("host", "db01", "port", "5432")), 1 << 20);
            bytes(recording, Direction.TO_TARGET, new byte[10]);
            bytes(recording, Direction.TO_CLIENT, new byte[20]);

            Asciicast.Recording cast = finished(recording);

            assertEquals("db01:5432", cast.header().writ().get("forward_to"));
            assertEquals("{\"event\":\"forward\",\"host\":\"db01\",\"port\":5432}", markers(cast).get(0).toString());
            assertEquals("{\"event\":\"closed\",\"bytes_to_target\":10,\"bytes_to_client\":20}", markers(cast).get(1).toString());
        }

        @Test
        void aChannelThatNeverRanAnythingLeavesNoFile() throws Exception {
            ChannelRecording recording = recording(info("session", RecordingMode.BEST_EFFORT, false, Map.of()), 1 << 20);
            recording.request(Direction.TO_TARGET, "pty-req", ptyReq("xterm", 80, 24), true);
            recording.closed();
            flusher.pass();
            assertTrue(recording.settled().isDone());
            assertEquals(List.of(), spool.finished());
            assertEquals(List.of(), spool.unfinished());
        }
    }

    @Nested
    class Losses {

        @Test
        void pastItsLimitTheQueueHoldsTheRelayBackAndLosesNothing() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 16);
            out(recording, "0123456789");
            assertTrue(recording.room().toCompletableFuture().isDone(), "room for more");
            out(recording, "abcdefghij"); // over the 16 bytes the queue holds
            CompletableFuture<Void> room = recording.room().toCompletableFuture();
            assertFalse(room.isDone(), "the relay waits before acknowledging more to the target");

            flusher.pass();
            room.get(5, TimeUnit.SECONDS);
            out(recording, "ABCDEFGHIJ");
            Asciicast.Recording cast = finished(recording);

            assertEquals("0123456789abcdefghijABCDEFGHIJ", text(cast, "o"));
            assertEquals(RecordingLoss.NONE, recording.settled().get());
            assertEquals(List.of(), session.ended);
        }

        @Test
        void strictEndsTheSessionWhenTheSpoolCannotBeWritten() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.STRICT, false, 1 << 20);
            out(recording, "0123456789abcdefghij");
            Files.move(spool.dir(), dir.resolve("moved"));
            Files.writeString(spool.dir(), "a file where the spool was");
            flusher.pass();
            assertEquals(1, session.ended.size());
            assertTrue(session.ended.get(0).startsWith("recording_failed: writ: this session must be recorded"), session.ended.get(0));
        }

        @Test
        void bestEffortGoesOnWhileTheSpoolCannotBeWrittenAndMarksTheGapWhenItCan() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.BEST_EFFORT, false, 1 << 20);
            out(recording, "lost");
            Path moved = Files.move(spool.dir(), dir.resolve("moved"));
            Files.writeString(spool.dir(), "a file where the spool was");
            flusher.pass();
            assertTrue(spool.problem() != null, "the spool is known to be unwritable");
            Files.delete(spool.dir());
            Files.move(moved, spool.dir());
            out(recording, "kept");

            Asciicast.Recording cast = finished(recording);

            assertEquals("kept", text(cast, "o"));
            JsonNode gap = markers(cast).get(1);
            assertEquals("gap", gap.get("event").asText(), markers(cast).toString());
            assertEquals(4, gap.get("bytes_lost").asInt());
            assertEquals(4, recording.settled().get().bytes());
            assertEquals(List.of(), session.ended);
            spool.probe();
            assertNull(spool.problem(), "writable again");
        }

        @Test
        void strictEndsTheSessionWhenItsFileLeavesTheSpool() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.STRICT, false, 1 << 20);
            out(recording, "written");
            flusher.pass();
            Files.move(spool.dir(), dir.resolve("moved"));
            Files.writeString(spool.dir(), "a file where the spool was");
            flusher.pass();
            assertEquals(1, session.ended.size(), "the session is ended");
            assertTrue(spool.problem() != null);
            recording.closed();
            flusher.pass();
            assertTrue(recording.settled().isDone(), "a recording whose file is gone is given up, not retried forever");
        }
    }

    static byte[] ptyReq(String term, int columns, int rows) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(term);
        buffer.putUInt(columns);
        buffer.putUInt(rows);
        buffer.putUInt(0);
        buffer.putUInt(0);
        buffer.putBytes(new byte[] {0});
        return buffer.getCompactData();
    }

    static byte[] windowChange(int columns, int rows) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putUInt(columns);
        buffer.putUInt(rows);
        buffer.putUInt(0);
        buffer.putUInt(0);
        return buffer.getCompactData();
    }

    static byte[] string(String text) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(text);
        return buffer.getCompactData();
    }

    static byte[] uint(long value) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putUInt(value);
        return buffer.getCompactData();
    }

    @Nested
    class Secrets {

        @Test
        void whatIsTypedWithTheEchoOffIsNeverStored() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.STRICT, true, 1 << 20);
            bytes(recording, Direction.TO_TARGET, "sudo id\r".getBytes(StandardCharsets.UTF_8));
            out(recording, "sudo id\r\n[sudo] password for root: ");
            for (String key : List.of("s", "3", "c", "r", "e", "t")) {
                bytes(recording, Direction.TO_TARGET, key.getBytes(StandardCharsets.UTF_8));
            }
            bytes(recording, Direction.TO_TARGET, "\r".getBytes(StandardCharsets.UTF_8));
            out(recording, "\r\nuid=0(root) gid=0(root)\r\n$ ");

            Asciicast.Recording cast = finished(recording);

            assertEquals("sudo id\r\r", text(cast, "i"));
            assertFalse(Files.readString(spool.done(recording.id())).contains("s3cret"));
            assertTrue(text(cast, "o").contains("uid=0(root)"));
            assertTrue(markers(cast).stream().anyMatch(m -> m.get("event").asText().equals("input_withheld")
                    && m.get("bytes").asLong() == 6), markers(cast).toString());
        }

        @Test
        void whatIsTypedAndNeverEchoedWithinTheWindowIsWithheld() throws Exception {
            ChannelRecording recording = terminal(RecordingMode.STRICT, true, 1 << 20);
            out(recording, "Passphrase: ");
            bytes(recording, Direction.TO_TARGET, "hunter2".getBytes(StandardCharsets.UTF_8));
            clock.advance(Duration.ofSeconds(3));
            flusher.pass();
            out(recording, "hunter2 is what you typed, says the program\r\n"); // too late to count as echo

            Asciicast.Recording cast = finished(recording);

            assertEquals("", text(cast, "i"));
        }

        @Test
        void theEchoOfWhatIsTypedAheadOfEscapeSequencesStillCounts() {
            assertEquals("ls", EchoWatch.visible("\u001b[?2004hl\u001b[1@s\r\n"));
        }

        @Test
        void secretsInTheOutputAreReplacedAndCountedInTheFacts() throws Exception {
            ChannelRecording recording = new ChannelRecording(info("session", RecordingMode.STRICT, false, Map.of()), session,
                    clock, metrics, 1 << 20, () -> { }, Redaction.of(Redaction.DEFAULTS));
            flusher.add(recording);
            recording.request(Direction.TO_TARGET, "pty-req", ptyReq("xterm", 80, 24), true);
            recording.request(Direction.TO_TARGET, "shell", new byte[0], true);
            out(recording, "aws_access_key_id = AKIAIOSF");
            out(recording, "ODNN7EXAMPLE\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\n");
            flusher.pass(); // the open block is held, not written
            out(recording, "AAAAAA\r\n-----END OPENSSH PRIVATE KEY-----\r\ncurl -H 'Authorization: Bearer eyJhbGciOi.x.y'\r\nok\r\n");

            Asciicast.Recording cast = finished(recording);
            String file = Files.readString(spool.done(recording.id()));

            for (String secret : List.of("AKIAIOSFODNN7EXAMPLE", "b3BlbnNzaC1rZXktdjEAAAAA", "AAAAAA", "eyJhbGciOi")) {
                assertFalse(file.contains(secret), secret + " in " + file);
            }
            assertEquals("aws_access_key_id = [redacted]\r\n[redacted]\r\ncurl -H '[redacted]'\r\nok\r\n", text(cast, "o"));
            assertEquals("3", cast.header().writ().get("redactions"));
        }
    }
}
