package dev.writ.ca.testing;

import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * A large recording made on the fly, never whole in memory: a session that prints JSON log lines
 * (about 600 bytes each, every one a line of searchable text) until it is {@code size} bytes
 * long, then runs {@code command}, whose line is the only one that contains it. Each
 * {@link #open} streams the same bytes.
 */
public final class GeneratedCast {

    private static final String[] WORDS = {
            "the quick brown fox jumps over the lazy dog while the scheduler rebalances shards across the cluster nodes",
            "connection pool exhausted, waiting for a free connection before retrying the request against the replica",
            "cache miss for the requested key, loading the value from the primary store and refreshing its time to live",
            "background compaction finished for the segment files of the search index, freeing space on the data volume",
            "certificate rotation completed for the internal service mesh; the previous issuing key stays trusted a day"};

    private final String sessionId;
    private final long size;
    private final String command;
    private final byte[] header;
    private final byte[] ending;

    public GeneratedCast(String sessionId, long size, String command) {
        this.sessionId = sessionId;
        this.command = command;
        this.header = (Asciicast.headerLine(new Asciicast.Header(120, 40, 1_795_000_000L, "xterm-256color",
                Map.of(RecordingUpload.SESSION_ID, sessionId, RecordingUpload.IDENTITY, "alice@example.com",
                        RecordingUpload.LOGIN, "root", RecordingUpload.TARGET, "web01.prod"))) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        this.ending = (Asciicast.eventLine(new Asciicast.Event(9000.0, "o", "$ " + command + "\r\n")) + "\n"
                + Asciicast.eventLine(new Asciicast.Event(9000.5, "m", "{\"event\":\"closed\"}")) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        this.size = Math.max(size, header.length + ending.length);
    }

    public long size() {
        return size;
    }

    /** The bytes, streamed: the header, log lines (the last one padded to the exact size), the command. */
    public InputStream open() {
        return new InputStream() {
            private final long logBytes = size - header.length - ending.length;
            private long written;
            private long line;
            private byte[] current = header;
            private int position;
            private int stage; // 0 header, 1 log lines, 2 ending, 3 end

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (length == 0) {
                    return 0;
                }
                while (position == current.length) {
                    if (!next()) {
                        return -1;
                    }
                }
                int n = Math.min(length, current.length - position);
                System.arraycopy(current, position, buffer, offset, n);
                position += n;
                return n;
            }

            private boolean next() {
                position = 0;
                if (stage == 0 || stage == 1) {
                    long left = logBytes - written;
                    if (left > 0) {
                        stage = 1;
                        current = logLine(line++, left);
                        written += current.length;
                        return true;
                    }
                    stage = 2;
                    current = ending;
                    return true;
                }
                stage = 3;
                current = new byte[0];
                return false;
            }
        };
    }

    /** Log line {@code n} as an event line, cut or padded to {@code left} bytes when fewer are left than two lines. */
    private byte[] logLine(long n, long left) {
        String text = String.format(Locale.ROOT, "2026-12-07T10:%02d:%02d web01 app[%d]: GET /api/v1/items/%d 200 %d ms"
                        + " session=%s {\"item\":{\"id\":%d,\"owner\":\"team-%d\",\"tags\":[\"alpha\",\"beta-%d\",\"gamma\"],"
                        + "\"description\":\"%s\",\"revision\":%d,\"checksum\":\"%016x%016x\"}}",
                n / 60 % 60, n % 60, 1000 + n % 7, n, n % 97, sessionId, n, n % 13, n % 5, WORDS[(int) (n % WORDS.length)],
                n % 1000, n * 0x9E3779B97F4A7C15L, n * 0xC2B2AE3D27D4EB4FL);
        byte[] bytes = (Asciicast.eventLine(new Asciicast.Event(1 + n * 0.001, "o", text + "\r\n")) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        if (left >= 2L * bytes.length + 64) {
            return bytes;
        }
        // the last line: one event padded with spaces to exactly what is left
        String start = Asciicast.eventLine(new Asciicast.Event(1 + n * 0.001, "o", ""));
        int pad = (int) left - start.length() - 1;
        if (pad < 0) { // too little left for an event: blank lines are allowed
            byte[] blank = new byte[(int) left];
            java.util.Arrays.fill(blank, (byte) '\n');
            return blank;
        }
        String padded = Asciicast.eventLine(new Asciicast.Event(1 + n * 0.001, "o", " ".repeat(pad))) + "\n";
        byte[] last = padded.getBytes(StandardCharsets.UTF_8);
        if (last.length != left) { // the JSON of the time may differ in length: fill with blank lines
            byte[] exact = new byte[(int) left];
            java.util.Arrays.fill(exact, (byte) '\n');
            System.arraycopy(last, 0, exact, 0, Math.min(last.length, exact.length));
            return exact;
        }
        return last;
    }

    /** The SHA-256 of the bytes, as 64 hex digits (one pass over them). */
    public String sha256() throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(open(), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha256.digest());
    }
}
