package dev.writ.ca.recording;

import dev.writ.ca.store.Recordings;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import dev.writ.protocol.recording.TerminalText;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads a recording once, line by line: the session facts of its header, when it started and
 * ended (its last event: the bastion ends every recording with a marker at the time the channel
 * closed, however quiet it was before), whether it was cut short, and its searchable lines of text: the output, each line with
 * the time it was complete on screen, and what its markers say was run or reached (commands,
 * subsystems, forward destinations) at the marker's time.
 */
final class RecordingIndexer {

    static final int MAX_FACT_LENGTH = 512;

    /** The recording is not an asciicast v2 file with writ's facts: the detail says why. */
    static final class BadRecording extends Exception {
        BadRecording(String detail) {
            super(detail);
        }
    }

    /** What a recording says about itself. */
    record Indexed(Asciicast.Header header, Map<String, String> facts, Instant startedAt, Instant endedAt,
                   boolean truncated, List<Recordings.Line> lines) {
    }

    private RecordingIndexer() {
    }

    static Indexed read(Path file) throws IOException, BadRecording {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = reader.readLine();
            if (first == null) {
                throw new BadRecording("the recording is empty");
            }
            Asciicast.Header header;
            try {
                header = Asciicast.parseHeader(first);
            } catch (IOException e) {
                throw new BadRecording("the first line is not an asciicast v2 header: " + e.getMessage());
            }
            Map<String, String> facts = facts(header);
            SearchableText text = new SearchableText();
            double end = 0;
            String cut = null;
            for (String line; (line = reader.readLine()) != null; ) {
                if (cut != null) {
                    throw new BadRecording("malformed event line in the middle of the recording");
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Asciicast.Event event = Asciicast.parseEvent(line);
                    end = Math.max(end, event.time());
                    if (event.code().equals("o")) {
                        text.output(event.time(), event.data());
                    } else if (event.code().equals("m")) {
                        text.marker(event.time(), event.data());
                    }
                } catch (IOException e) {
                    cut = line; // tolerated only as the last line: the writer died mid-line
                }
            }
            Instant started = Instant.ofEpochSecond(header.timestamp());
            boolean truncated = cut != null || "true".equals(facts.get(RecordingUpload.TRUNCATED));
            return new Indexed(header, facts, started, started.plus(Duration.ofMillis(Math.round(end * 1000))),
                    truncated, text.lines());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new BadRecording("the recording is not UTF-8 text");
        }
    }

    private static Map<String, String> facts(Asciicast.Header header) throws BadRecording {
        Map<String, String> facts = header.writ();
        for (String key : RecordingUpload.REQUIRED_FACTS) {
            String value = facts.get(key);
            if (value == null || value.isBlank()) {
                throw new BadRecording("the header lacks writ." + key);
            }
        }
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            if (fact.getValue().length() > MAX_FACT_LENGTH) {
                throw new BadRecording("writ." + fact.getKey() + " is longer than " + MAX_FACT_LENGTH + " characters");
            }
        }
        if (header.timestamp() <= 0) {
            throw new BadRecording("the header lacks a timestamp");
        }
        return facts;
    }

    /**
     * Output events and markers turned into lines of text, in the order of their times. Escape
     * sequences are stripped per event; one that an event cuts in two is carried over to the
     * next. A line's time is that of its last visible character; lines longer than
     * {@link #MAX_LINE} are split.
     */
    static final class SearchableText {
        static final int MAX_LINE = 1000;
        private static final int MAX_CARRY = 4096;

        private final List<Recordings.Line> lines = new ArrayList<>();
        private final StringBuilder line = new StringBuilder();
        private String carry = "";
        private long lastMs;

        void output(double time, String data) {
            String text = carry + data;
            int cut = unfinishedEscape(text);
            carry = text.length() - cut > MAX_CARRY ? "" : text.substring(cut);
            String visible = TerminalText.strip(text.substring(0, cut));
            long ms = Math.round(time * 1000);
            for (int i = 0; i < visible.length(); i++) {
                char c = visible.charAt(i);
                if (c == '\n') {
                    endLine();
                } else {
                    line.append(c);
                    lastMs = ms;
                    if (line.length() >= MAX_LINE) {
                        endLine();
                    }
                }
            }
        }

        /**
         * The bastion's marker ({@code {"event":"exec","command":"..."}}, see the bastion's
         * README): what it says was run or reached becomes lines of their own, beside the output
         * line that may be in progress. Other markers (exit status, byte counts, signals, gaps)
         * and markers that are not writ's JSON add nothing.
         */
        void marker(double time, String data) {
            String said = MarkerText.of(data);
            if (said == null) {
                return;
            }
            long ms = Math.round(time * 1000);
            for (String part : TerminalText.strip(said).split("\n")) {
                for (int from = 0; from < part.length(); from += MAX_LINE) {
                    add(ms, part.substring(from, Math.min(part.length(), from + MAX_LINE)));
                }
            }
        }

        List<Recordings.Line> lines() {
            endLine();
            // a marker's lines went in before the output line that was in progress; stable, so output keeps its order
            lines.sort(Comparator.comparingLong(Recordings.Line::offsetMs));
            return lines;
        }

        private void endLine() {
            add(lastMs, line.toString());
            line.setLength(0);
        }

        private void add(long ms, String text) {
            String stripped = text.strip();
            if (!stripped.isEmpty() && lines.size() < Recordings.MAX_LINES) {
                lines.add(new Recordings.Line(ms, stripped));
            }
        }

        /** Where an escape sequence that {@code s} ends in the middle of starts; {@code s.length()} when none. */
        static int unfinishedEscape(String s) {
            int esc = s.lastIndexOf('\u001b');
            int csi = s.lastIndexOf('\u009b');
            if (csi > esc) {
                return finalByteFrom(s, csi + 1) ? s.length() : csi;
            }
            if (esc < 0) {
                return s.length();
            }
            if (esc + 1 >= s.length()) {
                return esc;
            }
            boolean finished = switch (s.charAt(esc + 1)) {
                case '[' -> finalByteFrom(s, esc + 2);
                case ']', 'P', 'X', '^', '_' -> s.indexOf('\u0007', esc + 2) >= 0;
                case '(', ')', '*', '+', '#', '%' -> esc + 2 < s.length();
                default -> true;
            };
            return finished ? s.length() : esc;
        }

        private static boolean finalByteFrom(String s, int from) {
            for (int i = from; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= 0x40 && c <= 0x7e) {
                    return true;
                }
            }
            return false;
        }
    }
}
