package dev.writ.bastion.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, before anything else touches the spool: recordings whose channel never closed (the
 * bastion was killed, the machine lost power) are closed as truncated and join the upload queue.
 *
 * <p>Each is rewritten into {@code ID.cast.tmp}: the header with {@code "truncated": "true"} among
 * the writ facts, every whole event line, a {@code truncated} marker at the last event's time,
 * then an atomic rename to {@code ID.cast}. A line cut short by the crash is dropped. Nothing is
 * lost by a crash during recovery: the {@code .part} file goes only after the rename.
 */
final class CrashRecovery {

    static final String REASON = "the bastion stopped before the channel closed; the recording ends at its last flush";
    private static final Logger LOG = LoggerFactory.getLogger(CrashRecovery.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private CrashRecovery() {
    }

    /**
     * Closes every unfinished recording; returns the writ facts (session id, identity, login,
     * target, ...) of each one that joined the upload queue.
     */
    static List<Map<String, String>> recover(Spool spool, BastionMetrics metrics) {
        for (Path leftover : spool.leftovers()) {
            deleteQuietly(leftover); // a recovery that was itself interrupted; its .part is still there
        }
        List<Map<String, String>> recovered = new ArrayList<>();
        for (Path part : spool.unfinished()) {
            String id = Spool.id(part);
            try {
                if (Files.size(part) == 0) {
                    Files.delete(part); // created, and the crash came before its header: nothing recorded
                    continue;
                }
                if (Files.exists(spool.done(id))) {
                    throw new IOException("both " + id + Spool.DONE + " and " + id + Spool.PART + " exist");
                }
                recovered.add(close(part, spool.dir().resolve(id + Spool.TMP), spool.done(id)));
                metrics.recordingRecovered();
                LOG.warn("recording {} was left unfinished (the bastion stopped); closed as truncated for upload", id);
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot recover recording {}: {}; moving it aside", id, e.toString());
                try {
                    spool.reject(part, id, "unrecoverable after a crash: " + e.getMessage());
                } catch (IOException moveFailed) {
                    LOG.error("cannot move {} aside: {}", part, moveFailed.toString());
                }
            }
        }
        return recovered;
    }

    /** Rewrites {@code part} into {@code done} as a truncated recording; returns its writ facts. */
    static Map<String, String> close(Path part, Path tmp, Path done) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE); // only a character cut by the crash can be malformed
        Map<String, String> facts = new LinkedHashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(part), utf8));
             FileChannel channel = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
             Writer out = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8))) {
            ObjectNode header = truncatedHeader(in.readLine());
            header.get("writ").fields().forEachRemaining(fact -> facts.put(fact.getKey(), fact.getValue().asText()));
            out.write(JSON.writeValueAsString(header));
            out.write('\n');
            double last = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Double time = eventTime(line);
                if (time == null) {
                    break; // not a whole event: the crash cut it, and nothing after it counts
                }
                last = Math.max(last, time);
                out.write(line);
                out.write('\n');
            }
            out.write(Asciicast.eventLine(new Asciicast.Event(last, "m", Markers.truncated(REASON))));
            out.write('\n');
            out.flush();
            channel.force(true);
        }
        Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(part);
        return facts;
    }

    /** The header line with {@code "truncated": "true"} among the writ facts. */
    private static ObjectNode truncatedHeader(String line) throws IOException {
        JsonNode header = line == null ? null : JSON.readTree(line);
        if (!(header instanceof ObjectNode object) || header.path("version").asInt() != 2) {
            throw new IOException("the first line is not an asciicast v2 header");
        }
        ObjectNode writ = object.get("writ") instanceof ObjectNode facts ? facts : object.putObject("writ");
        writ.put(RecordingUpload.TRUNCATED, "true");
        return object;
    }

    /** The time of an event line, or null when it is not one. */
    private static Double eventTime(String line) {
        try {
            JsonNode event = JSON.readTree(line);
            if (event != null && event.isArray() && event.size() == 3 && event.get(0).isNumber() && event.get(1).isTextual()
                    && event.get(2).isTextual()) {
                return event.get(0).asDouble();
            }
        } catch (IOException e) {
            // not JSON
        }
        return null;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", file, e.toString());
        }
    }
}
