package dev.writ.protocol.recording;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The asciicast v2 format (one JSON header line, then one JSON array per event) that writ's
 * recordings use, so that stock asciinema tools play them. writ's own facts about the session ride
 * in the header under {@code "writ"}, which asciinema ignores.
 */
public final class Asciicast {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Asciicast() {
    }

    /**
     * The first line of a recording.
     *
     * @param width     terminal columns
     * @param height    terminal rows
     * @param timestamp start, Unix seconds
     * @param term      the client's TERM, or null
     * @param writ      session facts: session id, identity, login, target, serial, grant, client address
     */
    public record Header(int width, int height, long timestamp, String term, Map<String, String> writ) {
        public Header {
            if (width <= 0 || height <= 0) {
                throw new IllegalArgumentException("terminal size must be positive");
            }
            writ = writ == null ? Map.of() : Map.copyOf(writ);
        }
    }

    /** An event: seconds since the start, the code ({@code o} output, {@code i} input, {@code r} resize, {@code m} marker), the data. */
    public record Event(double time, String code, String data) {
        public Event {
            if (time < 0 || code == null || data == null) {
                throw new IllegalArgumentException("an event needs a time >= 0, a code and data");
            }
        }
    }

    /** A whole recording read back. */
    public record Recording(Header header, List<Event> events, boolean truncated) {
        public Recording {
            events = List.copyOf(events);
        }
    }

    public static String headerLine(Header header) {
        ObjectNode node = JSON.createObjectNode();
        node.put("version", 2);
        node.put("width", header.width());
        node.put("height", header.height());
        node.put("timestamp", header.timestamp());
        if (header.term() != null) {
            node.putObject("env").put("TERM", header.term());
        }
        if (!header.writ().isEmpty()) {
            ObjectNode writ = node.putObject("writ");
            new java.util.TreeMap<>(header.writ()).forEach(writ::put);
        }
        return write(node);
    }

    public static String eventLine(Event event) {
        ArrayNode node = JSON.createArrayNode();
        // microsecond resolution, as asciinema writes it
        node.add(Math.round(event.time() * 1_000_000d) / 1_000_000d);
        node.add(event.code());
        node.add(event.data());
        return write(node);
    }

    /**
     * Reads a recording. A last line cut short (the writer died mid-line) is dropped and the
     * recording marked truncated; any other malformed line is an error.
     */
    public static Recording read(Reader reader) throws IOException {
        BufferedReader lines = new BufferedReader(reader);
        String first = lines.readLine();
        if (first == null) {
            throw new IOException("empty recording");
        }
        Header header = parseHeader(first);
        List<Event> events = new ArrayList<>();
        boolean truncated = false;
        String line;
        String pending = null;
        while ((line = lines.readLine()) != null) {
            if (pending != null) {
                throw new IOException("malformed event line in the middle of the recording");
            }
            if (line.isBlank()) {
                continue;
            }
            try {
                events.add(parseEvent(line));
            } catch (IOException e) {
                pending = line; // tolerated only if it is the last line
            }
        }
        if (pending != null) {
            truncated = true;
        }
        return new Recording(header, events, truncated);
    }

    /** One header line, for readers that stream a recording rather than {@link #read} it whole. */
    public static Header parseHeader(String line) throws IOException {
        JsonNode node = tree(line);
        if (!node.isObject() || node.path("version").asInt() != 2) {
            throw new IOException("not an asciicast v2 header");
        }
        Map<String, String> writ = new LinkedHashMap<>();
        node.path("writ").fields().forEachRemaining(field -> writ.put(field.getKey(), field.getValue().asText()));
        String term = node.path("env").path("TERM").isTextual() ? node.path("env").path("TERM").asText() : null;
        try {
            return new Header(node.path("width").asInt(), node.path("height").asInt(), node.path("timestamp").asLong(), term, writ);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad asciicast header: " + e.getMessage());
        }
    }

    /** One event line; an {@link IOException} when it is not one. */
    public static Event parseEvent(String line) throws IOException {
        JsonNode node = tree(line);
        if (!node.isArray() || node.size() != 3 || !node.get(0).isNumber() || !node.get(1).isTextual() || !node.get(2).isTextual()) {
            throw new IOException("not an asciicast event");
        }
        try {
            return new Event(node.get(0).asDouble(), node.get(1).asText(), node.get(2).asText());
        } catch (IllegalArgumentException e) {
            throw new IOException("bad asciicast event: " + e.getMessage());
        }
    }

    private static JsonNode tree(String line) throws IOException {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IOException("not JSON");
        }
    }

    private static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
