package dev.writ.protocol.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AsciicastTest {

    static final Asciicast.Header HEADER = new Asciicast.Header(132, 43, 1_795_000_000L, "xterm-256color",
            Map.of("session_id", "s-1", "identity", "alice@example.com", "login", "root", "target", "web01"));

    @Nested
    class RoundTrip {

        @Test
        void everyHeaderFieldSurvives() throws IOException {
            for (RecordComponent component : Asciicast.Header.class.getRecordComponents()) {
                // a guard: a new header field that is never encoded fails here
                assertTrue(List.of("width", "height", "timestamp", "term", "writ").contains(component.getName()),
                        "header field " + component.getName() + " is not covered by this test");
            }
            String text = Asciicast.headerLine(HEADER) + "\n";
            Asciicast.Recording back = Asciicast.read(new StringReader(text));
            assertEquals(HEADER, back.header());
            assertTrue(back.events().isEmpty());
            assertFalse(back.truncated());
        }

        @Test
        void eventsSurviveWithUnicodeAndControlBytes() throws IOException {
            List<Asciicast.Event> events = List.of(
                    new Asciicast.Event(0.000123, "o", "\u001b[1;31mrm -rf /tmp/x\u001b[0m\r\n"),
                    new Asciicast.Event(1.5, "r", "100x30"),
                    new Asciicast.Event(2.25, "i", "ls \u00e9\u4e2d\n"));
            StringBuilder text = new StringBuilder(Asciicast.headerLine(HEADER)).append('\n');
            events.forEach(e -> text.append(Asciicast.eventLine(e)).append('\n'));
            assertEquals(events, Asciicast.read(new StringReader(text.toString())).events());
        }

        @Test
        void theHeaderIsWhatAsciinemaExpects() {
            String line = Asciicast.headerLine(HEADER);
            assertTrue(line.startsWith("{\"version\":2,\"width\":132,\"height\":43,\"timestamp\":1795000000,"
                    + "\"env\":{\"TERM\":\"xterm-256color\"}"), line);
        }
    }

    @Nested
    class Truncation {

        @Test
        void aLastLineCutShortIsDroppedAndMarked() throws IOException {
            String text = Asciicast.headerLine(HEADER) + "\n" + Asciicast.eventLine(new Asciicast.Event(0.1, "o", "ok"))
                    + "\n[0.2, \"o\", \"cut sh";
            Asciicast.Recording back = Asciicast.read(new StringReader(text));
            assertEquals(1, back.events().size());
            assertTrue(back.truncated());
        }

        @Test
        void aBadLineInTheMiddleIsAnError() {
            String text = Asciicast.headerLine(HEADER) + "\n[oops\n" + Asciicast.eventLine(new Asciicast.Event(0.1, "o", "ok")) + "\n";
            IOException e = assertThrows(IOException.class, () -> Asciicast.read(new StringReader(text)));
            assertEquals("malformed event line in the middle of the recording", e.getMessage());
        }

        @Test
        void aFileWithoutHeaderIsAnError() {
            assertThrows(IOException.class, () -> Asciicast.read(new StringReader("[0.1, \"o\", \"x\"]\n")));
            assertThrows(IOException.class, () -> Asciicast.read(new StringReader("")));
        }
    }

    static Stream<Arguments> terminalText() {
        return Stream.of(
                Arguments.of("ok/plain", "hello world", "hello world"),
                Arguments.of("ok/colours", "\u001b[1;31mred\u001b[0m text", "red text"),
                Arguments.of("ok/crlf-becomes-one-break", "one\r\ntwo\r\n", "one\ntwo\n"),
                Arguments.of("ok/osc-title-with-bel", "\u001b]0;root@web01: ~\u0007$ ls", "$ ls"),
                Arguments.of("ok/osc-with-st", "\u001b]2;title\u001b\\after", "after"),
                Arguments.of("ok/cursor-moves", "a\u001b[2Kb\u001b[10;5Hc", "abc"),
                Arguments.of("ok/charset-designation", "\u001b(Bplain", "plain"),
                Arguments.of("ok/bell-and-backspace-dropped", "x\u0007y\u0008z", "xyz"),
                Arguments.of("ok/bracketed-paste-mode", "\u001b[?2004hrm -rf /\u001b[?2004l", "rm -rf /"),
                Arguments.of("ok/unicode-kept", "caf\u00e9 \u4e2d\u6587", "caf\u00e9 \u4e2d\u6587"),
                Arguments.of("ok/escape-at-end", "done\u001b", "done"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("terminalText")
    void stripsTerminalControlForSearch(String name, String output, String expected) {
        assertEquals(expected, TerminalText.strip(output));
    }
}
