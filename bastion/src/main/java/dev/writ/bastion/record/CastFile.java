package dev.writ.bastion.record;

import dev.writ.bastion.record.ChannelRecording.Input;
import dev.writ.bastion.record.ChannelRecording.Item;
import dev.writ.bastion.record.ChannelRecording.Kind;
import dev.writ.bastion.record.ChannelRecording.Marker;
import dev.writ.bastion.record.ChannelRecording.Output;
import dev.writ.bastion.record.ChannelRecording.Resize;
import dev.writ.protocol.recording.Asciicast;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * One recording being written to the spool: an asciicast v2 file, header first, then one line
 * per event, appended by the flusher thread only. A write that fails is undone (the file is cut
 * back to its last whole line), so the file never holds a broken line followed by more.
 *
 * <p>Output and input bytes become the text of {@code o} and {@code i} events through a UTF-8
 * decoder per stream that carries a character cut between two chunks over to the next event:
 * concatenated, the events' text is exactly what crossed the bastion (invalid UTF-8 excepted,
 * which becomes U+FFFD).
 */
final class CastFile implements AutoCloseable {

    /** The header fact counting the matches of the redaction patterns that were replaced. */
    static final String REDACTIONS = "redactions";

    private final Path path;
    private final FileChannel channel;
    private final Utf8 stdout = new Utf8();
    private final Utf8 stderr = new Utf8();
    private final Utf8 input = new Utf8();
    private final Asciicast.Header header;
    private final long[] redactions = new long[1];
    private final Redaction.Stream redactStdout;
    private final Redaction.Stream redactStderr;
    private final Redaction.Stream redactInput;
    private long size;
    private boolean dirty;
    private double lastTime;

    private CastFile(Path path, FileChannel channel, Asciicast.Header header, Redaction redaction) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        this.redactStdout = redaction.new Stream(redactions);
        this.redactStderr = redaction.new Stream(redactions);
        this.redactInput = redaction.new Stream(redactions);
    }

    /** Creates the file (mode 0600; it must not exist) and writes the header line. */
    static CastFile create(Path path, Asciicast.Header header) throws IOException {
        return create(path, header, Redaction.NONE);
    }

    /** As above, with {@code redaction} applied to what the target prints before it is written. */
    static CastFile create(Path path, Asciicast.Header header, Redaction redaction) throws IOException {
        FileChannel channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        CastFile file = new CastFile(path, channel, header, redaction);
        try {
            file.append(Asciicast.headerLine(header) + "\n");
        } catch (IOException e) {
            file.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return file;
    }

    Path path() {
        return path;
    }

    /** Whether the file is still where it was created (the spool may have been moved or replaced). */
    boolean inPlace() {
        return Files.isRegularFile(path);
    }

    /** Appends the items as event lines in one write. */
    void write(List<Item> items, Kind kind) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Item item : items) {
            double time = item.nanos() / 1e9;
            if (item instanceof Output output && kind == Kind.TERMINAL) {
                String text = (output.stderr() ? stderr : stdout).decode(output.bytes());
                event(lines, time, "o", (output.stderr() ? redactStderr : redactStdout).feed(text));
            } else if (item instanceof Input in && kind == Kind.TERMINAL) {
                event(lines, time, "i", redactInput.feed(input.decode(in.bytes())));
            } else if (item instanceof Resize resize && kind == Kind.TERMINAL) {
                event(lines, time, "r", resize.columns() + "x" + resize.rows());
            } else if (item instanceof Marker marker) {
                event(lines, time, "m", marker.json());
            }
        }
        append(lines);
    }

    /**
     * Writes what the decoders still hold and the closing marker, at its own time (the channel's
     * close, later than the last event when the channel was quiet), and makes it durable.
     */
    void finish(Marker closing) throws IOException {
        StringBuilder lines = new StringBuilder();
        event(lines, lastTime, "o", redactStdout.feed(stdout.end()) + redactStdout.end()
                + redactStderr.feed(stderr.end()) + redactStderr.end());
        event(lines, lastTime, "i", redactInput.feed(input.end()) + redactInput.end());
        event(lines, closing.nanos() / 1e9, "m", closing.json());
        append(lines);
        channel.force(true);
        if (redactions[0] > 0) {
            rewriteHeader();
        }
    }

    /** How many matches of the redaction patterns were replaced so far. */
    long redactions() {
        return redactions[0];
    }

    /**
     * The header is written first, when the count of redactions is not known yet: once the file is
     * complete it is written again with {@code redactions} among the facts, to a new file that
     * replaces this one, so that the file is whole at every moment.
     */
    private void rewriteHeader() throws IOException {
        java.util.Map<String, String> facts = new java.util.LinkedHashMap<>(header.writ());
        facts.put(REDACTIONS, Long.toString(redactions[0]));
        Asciicast.Header counted = new Asciicast.Header(header.width(), header.height(), header.timestamp(), header.term(),
                facts);
        byte[] all = Files.readAllBytes(path);
        int firstLine = 0;
        while (firstLine < all.length && all[firstLine] != '\n') {
            firstLine++;
        }
        Path rewritten = path.resolveSibling(path.getFileName() + ".header");
        try (FileChannel out = FileChannel.open(rewritten, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(ByteBuffer.wrap((Asciicast.headerLine(counted)).getBytes(StandardCharsets.UTF_8)));
            out.write(ByteBuffer.wrap(all, firstLine, all.length - firstLine));
            out.force(true);
        }
        Files.move(rewritten, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // the descriptor is released either way
        }
    }

    private void event(StringBuilder lines, double time, String code, String data) {
        if (data.isEmpty()) {
            return;
        }
        lastTime = Math.max(lastTime, time);
        lines.append(Asciicast.eventLine(new Asciicast.Event(lastTime, code, data))).append('\n');
    }

    private void append(CharSequence text) throws IOException {
        if (text.isEmpty()) {
            return;
        }
        if (dirty) {
            channel.truncate(size); // the last write failed half-way: drop its part line first
            dirty = false;
        }
        // String.getBytes, not a CharsetEncoder over the builder: the encoder reads a CharSequence one
        // charAt at a time, which made encoding most of what recording a busy terminal cost
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        long position = size;
        try {
            while (bytes.hasRemaining()) {
                position += channel.write(bytes, position);
            }
        } catch (IOException e) {
            dirty = true;
            try {
                channel.truncate(size);
                dirty = false;
            } catch (IOException stillFailing) {
                // tried again before the next write
            }
            throw e;
        }
        size = position;
    }

    /** A UTF-8 decoder for one stream, carrying an incomplete character over to the next chunk. */
    static final class Utf8 {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private byte[] carry = new byte[0];

        String decode(byte[] bytes) {
            if (carry.length == 0 && ascii(bytes)) {
                return new String(bytes, StandardCharsets.US_ASCII); // most terminal output: nothing to decode or carry
            }
            ByteBuffer in = ByteBuffer.allocate(carry.length + bytes.length).put(carry).put(bytes).flip();
            CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, out, false);
            carry = new byte[in.remaining()];
            in.get(carry);
            return out.flip().toString();
        }

        private static boolean ascii(byte[] bytes) {
            for (byte b : bytes) {
                if (b < 0) {
                    return false;
                }
            }
            return true;
        }

        String end() {
            CharBuffer out = CharBuffer.allocate(carry.length + 2);
            decoder.decode(ByteBuffer.wrap(carry), out, true);
            decoder.flush(out);
            decoder.reset();
            carry = new byte[0];
            return out.flip().toString();
        }
    }
}
