package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.recording.RecordingIndexer.BadRecording;
import dev.writ.ca.recording.RecordingIndexer.Indexed;
import dev.writ.ca.recording.RecordingIndexer.SearchableText;
import dev.writ.ca.store.Recordings.Line;
import dev.writ.ca.testing.TestCast;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RecordingIndexerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The lines the last {@link #read} handed on. */
    List<Line> found = new ArrayList<>();

    Indexed read(String text) throws Exception {
        found = new ArrayList<>();
        return RecordingIndexer.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), found::add);
    }

    static List<Line> lines(Object... timesAndData) throws Exception {
        List<Line> lines = new ArrayList<>();
        SearchableText text = new SearchableText(lines::add);
        for (int i = 0; i < timesAndData.length; i += 2) {
            text.output((Double) timesAndData[i], (String) timesAndData[i + 1]);
        }
        text.end();
        return lines;
    }

    @Nested
    class Text {

        @Test
        void aLineTypedKeyByKeyIsOneLineTimedByItsLastCharacter() throws Exception {
            assertEquals(List.of(new Line(1900, "$ rm -rf /tmp/x"), new Line(2900, "done")),
                    lines(0.5, "$ ", 1.0, "r", 1.1, "m", 1.9, " -rf /tmp/x", 2.3, "", 2.5, "\r\n", 2.9, "done\r\n"));
        }

        @Test
        void escapeSequencesAreStrippedEvenWhenAnEventCutsThemInTwo() throws Exception {
            assertEquals(List.of(new Line(1200, "red alert"), new Line(3000, "title gone")),
                    lines(1.0, "\u001b[1;3", 1.1, "1mred\u001b", 1.2, "[0m alert\r\n",
                            2.0, "\u001b]0;my ti", 2.5, "tle\u0007title", 3.0, " gone\n"));
        }

        @Test
        void blankLinesAreDroppedAndLongLinesSplit() throws Exception {
            List<Line> split = lines(1.0, "x".repeat(SearchableText.MAX_LINE + 5) + "\n\n   \n");
            assertEquals(List.of(SearchableText.MAX_LINE, 5), split.stream().map(l -> l.text().length()).toList());
        }

        @Test
        void theLastLineCountsWithoutANewline() throws Exception {
            assertEquals(List.of(new Line(4000, "logout")), lines(4.0, "logout"));
        }
    }

    @Nested
    class Markers {

        static final String EXEC = "{\"event\":\"exec\",\"command\":\"rm -rf /tmp/x\"}";

        @Test
        void theCommandOfAnExecRecordingIsALineAtItsMarkersTime() throws Exception {
            Indexed indexed = read(TestCast.session("s", "a@x", "root", "web01").event(0.21, "m", EXEC)
                    .event(3.75, "m", "{\"event\":\"exit\",\"status\":0}")
                    .event(3.75, "m", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":12}").text());

            assertEquals(List.of(new Line(210, "exec: rm -rf /tmp/x")), found);
        }

        @Test
        void aMarkerTakesItsPlaceAmongTheOutputLinesByTime() throws Exception {
            Indexed indexed = read(TestCast.session("s", "a@x", "root", "web01").output(0.5, "one\r\nprompt$ ")
                    .event(1.5, "m", EXEC).output(2.0, "\r\ntw").event(2.5, "m", EXEC).output(3.0, "o\r\n").text());

            assertEquals(List.of(new Line(500, "one"), new Line(500, "prompt$"), new Line(1500, "exec: rm -rf /tmp/x"),
                    new Line(2500, "exec: rm -rf /tmp/x"), new Line(3000, "two")), found,
                    "an output line in progress is not cut by a marker");
        }

        @Test
        void aCommandOfSeveralLinesIsSeveralLinesAndItsEscapeSequencesAreStripped() throws Exception {
            String command = "for h in a b\ndo rm -rf /srv/$h\ndone; echo \u001b[31mred";
            Indexed indexed = read(TestCast.session("s", "a@x", "root", "web01")
                    .event(1, "m", "{\"event\":\"exec\",\"command\":" + JSON.writeValueAsString(command) + "}").text());

            assertEquals(List.of(new Line(1000, "exec: for h in a b"), new Line(1000, "do rm -rf /srv/$h"),
                    new Line(1000, "done; echo red")), found);
        }

        @Test
        void markersWaitingOnALineInProgressAreBounded() throws Exception {
            TestCast cast = TestCast.session("s", "a@x", "root", "web01").output(1.0, "half a line");
            for (int i = 0; i < SearchableText.MAX_PENDING + 1; i++) {
                cast.event(2.0, "m", EXEC);
            }
            read(cast.output(3.0, " and its end\n").text());

            assertEquals(new Line(1000, "half a line"), found.get(0), "the line in progress ends at the limit");
            assertEquals(SearchableText.MAX_PENDING + 3, found.size());
            assertEquals(new Line(3000, "and its end"), found.get(found.size() - 1));
        }

        static Stream<Arguments> markers() {
            return Stream.of(
                    Arguments.of("ok/exec", EXEC, "exec: rm -rf /tmp/x"),
                    Arguments.of("ok/subsystem", "{\"event\":\"subsystem\",\"name\":\"sftp\"}", "subsystem: sftp"),
                    Arguments.of("ok/forward", "{\"event\":\"forward\",\"host\":\"db01\",\"port\":5432}", "forward: db01:5432"),
                    Arguments.of("ok/forward-ipv6", "{\"event\":\"forward\",\"host\":\"::1\",\"port\":22}", "forward: [::1]:22"),
                    Arguments.of("ok/forward-port-not-a-number", "{\"event\":\"forward\",\"host\":\"db01\",\"port\":\"pg\"}",
                            "forward: db01:pg"),
                    Arguments.of("ok/ended", "{\"event\":\"ended\",\"reason\":\"idle_timeout\"}", "session ended: idle_timeout"),
                    Arguments.of("ok/ended-by-admin", "{\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                            + "\"admin_reason\":\"INC-9 leak\"}", "session ended: ended_by_admin by sam@example.com: INC-9 leak"),
                    Arguments.of("none/ended-without-reason", "{\"event\":\"ended\"}", null),
                    Arguments.of("none/closed", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":12}", null),
                    Arguments.of("none/shell", "{\"event\":\"shell\"}", null),
                    Arguments.of("none/exit", "{\"event\":\"exit\",\"signal\":\"KILL\",\"core_dumped\":false}", null),
                    Arguments.of("none/signal", "{\"event\":\"signal\",\"name\":\"INT\"}", null),
                    Arguments.of("none/gap", "{\"event\":\"gap\",\"bytes_lost\":4096,\"reason\":\"disk full\"}", null),
                    Arguments.of("none/truncated", "{\"event\":\"truncated\",\"reason\":\"bastion restarted\"}", null),
                    Arguments.of("none/exec-without-command", "{\"event\":\"exec\",\"command\":42}", null),
                    Arguments.of("none/plain-label", "chapter 2", null),
                    Arguments.of("none/json-array", "[\"exec\",\"rm -rf /\"]", null));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("markers")
        void searchableTextOfAMarker(String name, String data, String text) {
            assertEquals(text, MarkerText.of(data));
        }
    }

    @Nested
    class Facts {

        @Test
        void readsTheHeaderTimesAndTruncation() throws Exception {
            Indexed indexed = read(TestCast.session("s-1", "alice@example.com", "root", "web01").startedAt(1_795_000_000L)
                    .size(132, 43).fact("serial", "42").output(0.25, "hi\r\n").event(61.5, "r", "100x30").text());

            assertEquals("alice@example.com", indexed.facts().get("identity"));
            assertEquals("42", indexed.facts().get("serial"));
            assertEquals(132, indexed.header().width());
            assertEquals(Instant.ofEpochSecond(1_795_000_000L), indexed.startedAt());
            assertEquals(Instant.ofEpochSecond(1_795_000_000L).plusMillis(61_500), indexed.endedAt());
            assertFalse(indexed.truncated());
            assertEquals(List.of(new Line(250, "hi")), found);
        }

        @Test
        void aRecordingEndsAtItsClosingMarkerNotAtItsLastOutput() throws Exception {
            Indexed indexed = read(TestCast.session("s", "a@x", "root", "web01").startedAt(1_795_000_000L)
                    .output(4.7, "$ ").event(876.25, "m", "{\"event\":\"ended\",\"reason\":\"ended_by_admin\"}")
                    .event(876.25, "m", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":2}").text());

            assertEquals(Instant.ofEpochSecond(1_795_000_000L).plusMillis(876_250), indexed.endedAt());
        }

        @Test
        void aLastLineCutShortMarksTheRecordingTruncated() throws Exception {
            Indexed indexed = read(TestCast.session("s", "a@x", "root", "web01").output(1, "kept\n").text() + "[2.0, \"o\", \"cu");
            assertTrue(indexed.truncated());
            assertEquals(List.of(new Line(1000, "kept")), found);
        }

        @Test
        void theBastionCanSayItWasTruncated() throws Exception {
            assertTrue(read(TestCast.session("s", "a@x", "root", "web01").fact("truncated", "true").text()).truncated());
        }

        static Stream<Arguments> bad() {
            String ok = TestCast.session("s", "a@x", "root", "web01").output(1, "x").text();
            return Stream.of(
                    Arguments.of("fail/empty", "", "the recording is empty"),
                    Arguments.of("fail/not-json", "hello\n", "the first line is not an asciicast v2 header: not JSON"),
                    Arguments.of("fail/version-1", "{\"version\":1,\"width\":80,\"height\":24}\n",
                            "the first line is not an asciicast v2 header: not an asciicast v2 header"),
                    Arguments.of("fail/no-identity", TestCast.session("s", " ", "root", "web01").text(), "the header lacks writ.identity"),
                    Arguments.of("fail/no-writ", "{\"version\":2,\"width\":80,\"height\":24,\"timestamp\":1}\n",
                            "the header lacks writ.session_id"),
                    Arguments.of("fail/not-utf-8", ok.replace("\"x\"", "\"\u00ff\""), null),
                    Arguments.of("fail/line-too-long", ok + "[1.5, \"o\", \"" + "y".repeat(RecordingIndexer.MAX_EVENT_LINE) + "\"]\n",
                            "an event line is longer than " + RecordingIndexer.MAX_EVENT_LINE + " characters"),
                    Arguments.of("fail/bad-middle-line", ok + "[oops\n" + ok.lines().skip(1).findFirst().orElseThrow() + "\n",
                            "malformed event line in the middle of the recording"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("bad")
        void refusesWhatIsNotAWritRecording(String name, String text, String detail) {
            BadRecording e = assertThrows(BadRecording.class, () -> {
                if (detail == null) { // bytes that are not UTF-8
                    RecordingIndexer.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), line -> { });
                } else {
                    read(text);
                }
            });
            assertEquals(detail == null ? "the recording is not UTF-8 text" : detail, e.getMessage());
        }
    }
}
