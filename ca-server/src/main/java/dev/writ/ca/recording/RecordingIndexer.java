package dev.writ.ca.recording;

import dev.writ.ca.store.Recordings;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import dev.writ.protocol.recording.TerminalText;
import dev.writ.ca.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a recording once, line by line, as it streams in: the session facts of its header, when
 * it started and ended (its last event: the bastion ends every recording with a marker at the time
 * the channel closed, however quiet it was before), whether it was cut short, and its searchable
 * lines of text: the output, each line with the time it was complete on screen, and what its
 * markers say was run or reached (commands, subsystems, forward destinations) at the marker's time.
 * The lines go to a {@link LineSink} as they are found, so memory holds one event line and one
 * line of text whatever the recording's size.
 */
final class RecordingIndexer {

    static final int MAX_FACT_LENGTH = 512;
    /**
     * The longest event line read, in characters: the bastion writes one event per SSH data
     * message (at most a few hundred KiB once JSON-escaped), so a longer line is not a writ recording.
     */
    static final int MAX_EVENT_LINE = 8 << 20;

    /** The recording is not an asciicast v2 file with writ's facts: the detail says why. */
    static final class BadRecording extends Exception {
        BadRecording(String detail) {
            super(detail);
        }
    }

    /** Takes each searchable line as it is found, in the order of their times. */
    interface LineSink {
        void accept(Recordings.Line line) throws StoreException;
    }

    /** What a recording says about itself; {@code lines} is the number of searchable lines found. */
    record Indexed(Asciicast.Header header, Map<String, String> facts, Instant startedAt, Instant endedAt,
                   boolean truncated, int lines) {
    }

    private RecordingIndexer() {
    }

    /**
     * Reads {@code in} (UTF-8) to its end, handing each searchable line to {@code sink}. An
     * {@link IOException} of {@code in} is passed on as it is.
     */
    static Indexed read(InputStream in, LineSink sink) throws IOException, BadRecording, StoreException {
        try {
            EventLines reader = new EventLines(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()));
            String first = reader.next();
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
            SearchableText text = new SearchableText(sink);
            double end = 0;
            String cut = null;
            for (String line; (line = reader.next()) != null; ) {
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
            text.end();
            Instant started = Instant.ofEpochSecond(header.timestamp());
            boolean truncated = cut != null || "true".equals(facts.get(RecordingUpload.TRUNCATED));
            return new Indexed(header, facts, started, started.plus(Duration.ofMillis(Math.round(end * 1000))),
                    truncated, text.count());
        } catch (CharacterCodingException e) {
            throw new BadRecording("the recording is not UTF-8 text");
        }
    }

    /** The lines of a stream, each without its line break; a line longer than {@link #MAX_EVENT_LINE} is refused. */
    private static final class EventLines {
        private final Reader in;
        private final char[] buffer = new char[64 * 1024];
        private final StringBuilder line = new StringBuilder();
        private int position;
        private int limit;
        private boolean eof;

        EventLines(Reader in) {
            this.in = in;
        }

        String next() throws IOException, BadRecording {
            line.setLength(0);
            while (true) {
                if (position == limit) {
                    if (eof) {
                        return line.isEmpty() ? null : take();
                    }
                    limit = in.read(buffer);
                    position = 0;
                    if (limit < 0) {
                        limit = 0;
                        eof = true;
                    }
                    continue;
                }
                int from = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                line.append(buffer, from, position - from);
                if (line.length() > MAX_EVENT_LINE) {
                    throw new BadRecording("an event line is longer than " + MAX_EVENT_LINE + " characters");
                }
                if (position < limit) {
                    position++; // the line break
                    return take();
                }
            }
        }

        private String take() {
            int end = line.length();
            if (end > 0 && line.charAt(end - 1) == '\r') {
                end--;
            }
            String taken = line.substring(0, end);
            line.setLength(0);
            if (line.capacity() > buffer.length * 4) {
                line.trimToSize(); // one long line does not keep its buffer
            }
            return taken;
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
     * Output events and markers turned into lines of text, in the order of their times (event
     * times never go back in a writ recording: the bastion writes them so). Escape sequences are
     * stripped per event; one that an event cuts in two is carried over to the next. A line's time
     * is that of its last visible character; lines longer than {@link #MAX_LINE} are split. A
     * marker's lines wait while an output line is in progress, since that line may end before or
     * after them; more than {@link #MAX_PENDING} of them end the output line there.
     */
    static final class SearchableText {
        static final int MAX_LINE = 1000;
        static final int MAX_PENDING = 1000;
        private static final int MAX_CARRY = 4096;

        private final LineSink sink;
        private final List<Recordings.Line> pending = new ArrayList<>();
        private final StringBuilder line = new StringBuilder();
        private String carry = "";
        private long lastMs;
        private int count;

        SearchableText(LineSink sink) {
            this.sink = sink;
        }

        void output(double time, String data) throws StoreException {
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
                    if (!pending.isEmpty()) {
                        flushPending(Long.MAX_VALUE); // this line now ends at or after them
                    }
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
        void marker(double time, String data) throws StoreException {
            String said = MarkerText.of(data);
            if (said == null) {
                return;
            }
            long ms = Math.round(time * 1000);
            for (String part : TerminalText.strip(said).split("\n")) {
                for (int from = 0; from < part.length(); from += MAX_LINE) {
                    String text = part.substring(from, Math.min(part.length(), from + MAX_LINE));
                    if (line.isEmpty()) {
                        add(ms, text);
                    } else {
                        pending.add(new Recordings.Line(ms, text));
                        if (pending.size() >= MAX_PENDING) {
                            endLine();
                        }
                    }
                }
            }
        }

        /** The end of the recording: the line in progress and the markers waiting go out. */
        void end() throws StoreException {
            endLine();
        }

        /** The lines handed to the sink. */
        int count() {
            return count;
        }

        /** The output line ends: markers up to its time go first (they came first), then it, then the later ones. */
        private void endLine() throws StoreException {
            String text = line.toString();
            line.setLength(0);
            flushPending(lastMs);
            add(lastMs, text);
            flushPending(Long.MAX_VALUE);
        }

        private void flushPending(long upToMs) throws StoreException {
            int n = 0;
            while (n < pending.size() && pending.get(n).offsetMs() <= upToMs) {
                add(pending.get(n).offsetMs(), pending.get(n).text());
                n++;
            }
            pending.subList(0, n).clear();
        }

        private void add(long ms, String text) throws StoreException {
            String stripped = text.strip();
            if (!stripped.isEmpty() && count < Recordings.MAX_LINES) {
                sink.accept(new Recordings.Line(ms, stripped));
                count++;
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
