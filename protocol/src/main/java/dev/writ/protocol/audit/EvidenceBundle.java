package dev.writ.protocol.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.protocol.audit.AuditChain.Verification;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * An evidence bundle: a range of the audit log that an outside auditor checks offline, trusting
 * nothing but an audit public key obtained out of band. JSON lines (UTF-8), each one object with a
 * single member naming its kind, in this order:
 * <ol>
 *   <li>{@code {"bundle": {...}}}: the {@link Header} (format, range, the link before the first
 *       event, the audit public key and its fingerprint);</li>
 *   <li>{@code {"checkpoint": {...}}}: every {@link AuditCheckpoint} inside the range, in sequence
 *       order; the range ends at a checkpoint, so every event in it is covered by a signature;</li>
 *   <li>{@code {"event": {...}}}: every event of the range, contiguous, as {@code GET /v1/audit}
 *       sends them ({@link AuditRecord});</li>
 *   <li>{@code {"end": {"events": N, "checkpoints": M}}}: the counts, so that a cut file is told
 *       from a short range.</li>
 * </ol>
 */
public final class EvidenceBundle {

    public static final String FORMAT = "writ-audit-bundle/1";
    public static final String MEDIA_TYPE = "application/x-ndjson";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private EvidenceBundle() {
    }

    /**
     * @param since, until   the range asked for (RFC 3339, either may be null)
     * @param firstSeq       the first event's sequence number
     * @param lastSeq        the last event's sequence number: that of the newest checkpoint in the bundle
     * @param prevHash       the hash of event {@code firstSeq - 1}, which the first event must follow
     * @param auditKey       the audit public key, one OpenSSH line
     * @param auditKeyId     its {@code SHA256:...} fingerprint
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Header(@JsonProperty("format") String format, @JsonProperty("ca") String ca,
                         @JsonProperty("exported_at") String exportedAt, @JsonProperty("since") String since,
                         @JsonProperty("until") String until, @JsonProperty("first_seq") long firstSeq,
                         @JsonProperty("last_seq") long lastSeq, @JsonProperty("prev_hash") String prevHash,
                         @JsonProperty("audit_key") String auditKey, @JsonProperty("audit_key_id") String auditKeyId) {
    }

    public record End(@JsonProperty("events") long events, @JsonProperty("checkpoints") long checkpoints) {
    }

    /** One line: exactly one member is set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Line(@JsonProperty("bundle") Header bundle, @JsonProperty("checkpoint") AuditCheckpoint checkpoint,
                @JsonProperty("event") AuditRecord event, @JsonProperty("end") End end) {
        int members() {
            return (bundle == null ? 0 : 1) + (checkpoint == null ? 0 : 1) + (event == null ? 0 : 1) + (end == null ? 0 : 1);
        }
    }

    /** Writes a bundle line by line: the header, the checkpoints, the events, the end. */
    public static final class Output {
        private final Writer out;
        private long events;
        private long checkpoints;

        public Output(Writer out, Header header) throws IOException {
            this.out = out;
            line(new Line(header, null, null, null));
        }

        public void checkpoint(AuditCheckpoint checkpoint) throws IOException {
            line(new Line(null, checkpoint, null, null));
            checkpoints++;
        }

        public void event(AuditRecord event) throws IOException {
            line(new Line(null, null, event, null));
            events++;
        }

        public void end() throws IOException {
            line(new Line(null, null, null, new End(events, checkpoints)));
            out.flush();
        }

        private void line(Line line) throws IOException {
            out.write(JSON.writeValueAsString(line));
            out.write('\n');
        }
    }

    /** The file is not a bundle, or not a whole one: it cannot be checked. */
    public static final class UnreadableBundle extends Exception {
        public UnreadableBundle(String message) {
            super(message);
        }
    }

    /**
     * What a check found: the header it read, the events and checkpoints that passed, and the
     * first problem if any ({@code verification.brokenAt()} names the first bad sequence number).
     */
    public record Result(Header header, Verification verification, long checkpoints, AuditCheckpoint newestCheckpoint) {
        public boolean ok() {
            return verification.ok();
        }
    }

    /**
     * Checks a bundle read from {@code in}, offline: every event follows the chain from the
     * header's {@code prev_hash}, every checkpoint is signed by the header's audit key and names
     * the hash the chain has there, the events run up to the last checkpoint, and the counts match.
     * Stops at the first problem. Memory grows with the number of checkpoints, never of events.
     */
    public static Result verify(BufferedReader in) throws IOException, UnreadableBundle {
        long lineNumber = 1;
        Line first = read(in.readLine(), lineNumber);
        if (first == null || first.bundle() == null) {
            throw new UnreadableBundle("it does not begin with a bundle header: not a writ evidence bundle");
        }
        Header header = first.bundle();
        if (!FORMAT.equals(header.format())) {
            throw new UnreadableBundle("its format is " + header.format() + ", not " + FORMAT);
        }
        PublicKey key = auditKey(header);
        List<AuditCheckpoint> checkpoints = new ArrayList<>();
        Line line;
        while ((line = read(in.readLine(), ++lineNumber)) != null && line.checkpoint() != null) {
            checkpoints.add(line.checkpoint());
        }
        CheckpointedChain chain = new CheckpointedChain(header.firstSeq(), header.prevHash(), checkpoints, key);
        for (; line != null && line.event() != null; line = read(in.readLine(), ++lineNumber)) {
            Verification broken = chain.accept(line.event());
            if (broken != null) {
                return new Result(header, broken, checkpoints.size(), chain.lastMatched());
            }
        }
        if (line == null || line.end() == null) {
            throw new UnreadableBundle(line == null ? "it ends before its end line after " + chain.checked()
                    + " events: the file was cut" : "line " + lineNumber + " is out of order (header, checkpoints, events, end)");
        }
        if (in.readLine() != null) {
            throw new UnreadableBundle("it goes on after its end line");
        }
        return new Result(header, finish(header, line.end(), chain, checkpoints.size()), checkpoints.size(),
                chain.lastMatched());
    }

    private static Verification finish(Header header, End end, CheckpointedChain chain, long checkpoints) {
        long checked = chain.checked();
        if (chain.unmetCheckpoint() != null) {
            return Verification.broken(checked, chain.lastSeq() + 1, "the bundle holds a checkpoint for event "
                    + chain.unmetCheckpoint() + " but its events end at " + chain.lastSeq());
        }
        if (end.events() != checked || end.checkpoints() != checkpoints) {
            return Verification.broken(checked, chain.lastSeq() + 1, "its end line counts " + end.events() + " events and "
                    + end.checkpoints() + " checkpoints, but it holds " + checked + " and " + checkpoints);
        }
        if (chain.lastSeq() != header.lastSeq()) {
            return Verification.broken(checked, chain.lastSeq() + 1, "its header names events " + header.firstSeq() + " to "
                    + header.lastSeq() + " but it holds events up to " + chain.lastSeq());
        }
        AuditCheckpoint newest = chain.lastMatched();
        if (checked > 0 && (newest == null || newest.seq() != chain.lastSeq())) {
            return Verification.broken(checked, chain.lastSeq(), "events " + (newest == null ? header.firstSeq()
                    : newest.seq() + 1) + " to " + chain.lastSeq() + " are not covered by a checkpoint");
        }
        return Verification.passed(checked);
    }

    private static PublicKey auditKey(Header header) throws UnreadableBundle {
        if (header.auditKey() == null || header.prevHash() == null) {
            throw new UnreadableBundle("its header lacks the audit key or the previous hash");
        }
        try {
            PublicKey key = PublicKeys.parse(header.auditKey(), "audit_key");
            if (!PublicKeys.fingerprint(key).equals(header.auditKeyId())) {
                throw new UnreadableBundle("its header's audit_key_id is not the fingerprint of its audit_key");
            }
            return key;
        } catch (InvalidKeyException e) {
            throw new UnreadableBundle("its audit key is unreadable: " + e.getMessage());
        }
    }

    /** One line as a {@link Line} with one member; null at the end of the file. */
    private static Line read(String text, long lineNumber) throws UnreadableBundle {
        if (text == null) {
            return null;
        }
        Line line;
        try {
            line = JSON.readValue(text, Line.class);
        } catch (JsonProcessingException e) {
            throw new UnreadableBundle("line " + lineNumber + " is not a bundle line: " + e.getOriginalMessage());
        }
        if (line == null || line.members() != 1) {
            throw new UnreadableBundle("line " + lineNumber + " is not one of bundle, checkpoint, event or end");
        }
        return line;
    }
}
