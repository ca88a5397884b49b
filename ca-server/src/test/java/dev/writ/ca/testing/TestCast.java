package dev.writ.ca.testing;

import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A recording as a bastion writes it (asciicast v2 with writ's facts), built event by event. */
public final class TestCast {

    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<Asciicast.Event> events = new ArrayList<>();
    private long timestamp = 1_795_000_000L;
    private int width = 80;
    private int height = 24;

    private TestCast(String sessionId, String identity, String login, String target) {
        facts.put(RecordingUpload.SESSION_ID, sessionId);
        facts.put(RecordingUpload.IDENTITY, identity);
        facts.put(RecordingUpload.LOGIN, login);
        facts.put(RecordingUpload.TARGET, target);
    }

    public static TestCast session(String sessionId, String identity, String login, String target) {
        return new TestCast(sessionId, identity, login, target);
    }

    public TestCast fact(String key, String value) {
        facts.put(key, value);
        return this;
    }

    public TestCast startedAt(long unixSeconds) {
        timestamp = unixSeconds;
        return this;
    }

    public TestCast size(int columns, int rows) {
        width = columns;
        height = rows;
        return this;
    }

    public TestCast output(double time, String data) {
        events.add(new Asciicast.Event(time, "o", data));
        return this;
    }

    public TestCast event(double time, String code, String data) {
        events.add(new Asciicast.Event(time, code, data));
        return this;
    }

    public String text() {
        StringBuilder out = new StringBuilder(Asciicast.headerLine(
                new Asciicast.Header(width, height, timestamp, "xterm-256color", facts))).append('\n');
        events.forEach(e -> out.append(Asciicast.eventLine(e)).append('\n'));
        return out.toString();
    }

    public byte[] bytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }
}
