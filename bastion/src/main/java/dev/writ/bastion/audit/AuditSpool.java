package dev.writ.bastion.audit;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.api.BastionAuditEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's audit events on disk until the CA has them, in a directory of mode 0700:
 *
 * <pre>
 * events.jsonl    one event per line, as sent ({@link BastionAuditEvent} with its id and time), appended and fsynced
 * state           {"stream": ..., "acked": N}: the spool's stream word and the last seq the CA confirmed
 * rejected.jsonl  events the CA refused for good (4xx), each with why, for an operator
 * </pre>
 *
 * <p>Each event gets the id {@code <bastion>:<stream>:<seq>}: {@code seq} counts from 1 and goes
 * on across restarts (the next one follows the last in {@code events.jsonl} or {@code acked},
 * whichever is higher); {@code stream} is a random word chosen when the spool is created, so a
 * spool wiped and started afresh never reuses an id the CA has stored. An event is on disk
 * (fsynced) before {@link #append} returns; a crash can only cut the line being written, which
 * the next start drops and counts.
 *
 * <p>Acknowledged events are dropped from the front: the file is emptied when nothing is left to
 * send, and rewritten with what is left when its sent part grows past {@link #COMPACT_BYTES}.
 * Unsent events are kept in memory too (at most {@code maxBytes}, the spool's bound). When the
 * spool is full, a new event is dropped, logged in full at ERROR and counted; its seq is used
 * anyway, so the CA's log shows the gap. Nothing here blocks a session for longer than a write.
 */
public final class AuditSpool implements AutoCloseable {

    static final String EVENTS = "events.jsonl";
    static final String STATE = "state";
    static final String REJECTED = "rejected.jsonl";
    /** Once this much of the file has been sent, it is rewritten with only what is left. */
    static final long COMPACT_BYTES = 1L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(AuditSpool.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** An event in the spool, with its line as written. */
    public record Spooled(long seq, BastionAuditEvent event, byte[] line) {
    }

    private record State(String stream, long acked) {
    }

    private final Path dir;
    private final String bastion;
    private final long maxBytes;
    private final long compactBytes;
    private final BastionMetrics metrics;
    private final Clock clock;
    /** Guards the queue and the file; never held while waiting for {@link #syncLock}. */
    private final ReentrantLock lock = new ReentrantLock();
    /** One fsync at a time; taken before {@link #lock} by whoever needs both. */
    private final ReentrantLock syncLock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayDeque<Spooled> pending = new ArrayDeque<>();
    private final String stream;
    private FileChannel file;
    private long pendingBytes;
    private long nextSeq;
    private long acked;
    /** The last write failed and may have left part of a line: the next line starts on a new one. */
    private boolean torn;
    /** The last seq written to the file, and the last one known to be on disk. */
    private long writtenSeq;
    private long syncedSeq;

    private AuditSpool(Path dir, String bastion, long maxBytes, long compactBytes, BastionMetrics metrics, Clock clock,
                       State state) {
        this.compactBytes = compactBytes;
        this.dir = dir;
        this.bastion = bastion;
        this.maxBytes = maxBytes;
        this.metrics = metrics;
        this.clock = clock;
        this.stream = state.stream();
        this.acked = state.acked();
    }

    /**
     * Opens the spool at {@code dir} (created 0700 when missing) for bastion {@code bastion}: reads
     * back what the last run left unsent, dropping a line a crash cut short, and rewrites the file
     * with only that. A spool that cannot be opened stops the bastion's start.
     */
    public static AuditSpool open(Path dir, String bastion, long maxBytes, BastionMetrics metrics, Clock clock)
            throws IOException {
        return open(dir, bastion, maxBytes, COMPACT_BYTES, metrics, clock);
    }

    /** The same, rewriting the file once {@code compactBytes} of it were sent (a test's small number). */
    static AuditSpool open(Path dir, String bastion, long maxBytes, long compactBytes, BastionMetrics metrics, Clock clock)
            throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        List<Spooled> lines = AuditLines.read(dir.resolve(EVENTS), metrics);
        State state = readState(dir.resolve(STATE), lines);
        AuditSpool spool = new AuditSpool(dir, bastion, maxBytes, compactBytes, metrics, clock, state);
        long last = state.acked();
        for (Spooled line : lines) {
            last = Math.max(last, line.seq());
            if (line.seq() > state.acked()) {
                spool.pending.add(line);
                spool.pendingBytes += line.line().length;
            }
        }
        spool.nextSeq = last + 1;
        spool.writtenSeq = last;
        spool.syncedSeq = last;
        spool.writeState();
        spool.rewrite();
        metrics.auditSpool(spool::backlog, spool::backlogBytes);
        LOG.info("audit spool {}: stream {}, {} event(s) left to send by the last run, next seq {}", dir, state.stream(),
                spool.pending.size(), spool.nextSeq);
        return spool;
    }

    /**
     * Gives the event its id and time and writes it down, returning once it is on disk. Appends
     * that arrive while a sync runs share the next one (group commit), so concurrent logins do not
     * queue behind each other's fsync. Never throws: a full spool drops the event, a failed write
     * keeps it in memory only; both are logged and counted.
     */
    public void append(BastionAuditEvent event) {
        long seq;
        lock.lock();
        try {
            seq = nextSeq++;
            BastionAuditEvent spooled = event.spooled(bastion + ":" + stream + ":" + seq, clock.instant().toString());
            byte[] line = AuditLines.encode(spooled);
            if (pendingBytes + line.length > maxBytes) {
                metrics.auditEventDropped("spool_full");
                LOG.error("the audit spool {} is full ({} events, {} bytes unsent to the CA): DROPPED audit event {}",
                        dir, pending.size(), pendingBytes, new String(line, StandardCharsets.UTF_8).strip());
                return;
            }
            write(line);
            pending.add(new Spooled(seq, spooled, line));
            pendingBytes += line.length;
            writtenSeq = seq;
        } finally {
            lock.unlock();
        }
        sync(seq);
    }

    /** Makes everything written up to {@code seq} durable, unless a sync since has done so; then the uploader may send it. */
    private void sync(long seq) {
        syncLock.lock();
        try {
            if (syncedSeq >= seq) {
                return; // another append's sync covered this one
            }
            long upTo;
            FileChannel channel;
            lock.lock();
            try {
                upTo = writtenSeq;
                channel = file;
            } finally {
                lock.unlock();
            }
            try {
                if (channel != null) {
                    channel.force(false);
                }
            } catch (IOException e) {
                metrics.auditSpoolWriteFailed();
                LOG.error("cannot sync the audit spool {} ({}); events up to seq {} are kept in memory until the CA has "
                        + "them, and lost if the bastion stops first", dir.resolve(EVENTS), e.toString(), upTo);
            }
            lock.lock();
            try {
                syncedSeq = upTo;
                appended.signalAll();
            } finally {
                lock.unlock();
            }
        } finally {
            syncLock.unlock();
        }
    }

    /** The oldest unsent events, at most {@code max} of them and {@code maxBytes} of lines (always at least one). */
    List<Spooled> oldest(int max, long maxBytes) {
        lock.lock();
        try {
            List<Spooled> batch = new ArrayList<>();
            long bytes = 0;
            for (Spooled event : pending) {
                if (event.seq() > syncedSeq) {
                    break; // not on disk yet: sent, it could be lost from the spool and its seq given again
                }
                if (batch.size() == max || (!batch.isEmpty() && bytes + event.line().length > maxBytes)) {
                    break;
                }
                batch.add(event);
                bytes += event.line().length;
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until there is something to send, at most {@code millis}. */
    void awaitEvents(long millis) throws InterruptedException {
        lock.lock();
        try {
            if (pending.isEmpty() || pending.peekFirst().seq() > syncedSeq) {
                appended.await(millis, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The CA has every event up to {@code seq}: they leave the spool. */
    void ack(long seq) throws IOException {
        syncLock.lock();
        lock.lock();
        try {
            while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
                pendingBytes -= pending.removeFirst().line().length;
            }
            acked = Math.max(acked, seq);
            writeState();
            if (pending.isEmpty()) {
                channel().truncate(0);
                channel().force(true);
                torn = false;
            } else if (channel().size() - pendingBytes > compactBytes) {
                rewrite();
            }
        } finally {
            lock.unlock();
            syncLock.unlock();
        }
    }

    /** The CA refused the event for good: it goes to {@code rejected.jsonl} with why, and counts as sent. */
    void reject(Spooled event, String why) throws IOException {
        syncLock.lock();
        lock.lock();
        try {
            byte[] line = (JSON.writeValueAsString(new Rejected(event.event(), why)) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(dir.resolve(REJECTED), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            ack(event.seq());
        } finally {
            lock.unlock();
            syncLock.unlock();
        }
    }

    private record Rejected(BastionAuditEvent event, String why) {
    }

    /** Events not yet confirmed by the CA. */
    public int backlog() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    long backlogBytes() {
        lock.lock();
        try {
            return pendingBytes;
        } finally {
            lock.unlock();
        }
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        syncLock.lock();
        lock.lock();
        try {
            if (file != null) {
                file.close();
                file = null;
            }
        } catch (IOException e) {
            LOG.warn("closing the audit spool: {}", e.toString());
        } finally {
            lock.unlock();
            syncLock.unlock();
        }
    }

    // --- the files ---

    private void write(byte[] line) {
        try {
            FileChannel channel = channel();
            long size = channel.size();
            ByteBuffer buffer = ByteBuffer.allocate(line.length + (torn ? 1 : 0));
            if (torn) {
                buffer.put((byte) '\n');
            }
            buffer.put(line).flip();
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                torn = false;
            } catch (IOException e) {
                torn = true;
                channel.truncate(size); // take the part back, if the disk lets us
                throw e;
            }
        } catch (IOException e) {
            metrics.auditSpoolWriteFailed();
            LOG.error("cannot write audit event to {} ({}); it is kept in memory until the CA has it, and lost if the "
                    + "bastion stops first: {}", dir.resolve(EVENTS), e.toString(), new String(line, StandardCharsets.UTF_8).strip());
        }
    }

    /** The file holds exactly the unsent events: written beside it, fsynced, renamed over it. */
    private void rewrite() throws IOException {
        Path tmp = dir.resolve(EVENTS + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            for (Spooled event : pending) {
                ByteBuffer buffer = ByteBuffer.wrap(event.line());
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            out.force(true);
        }
        if (file != null) {
            file.close();
            file = null;
        }
        Files.move(tmp, dir.resolve(EVENTS), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        torn = false;
    }

    private FileChannel channel() throws IOException {
        if (file == null) {
            file = FileChannel.open(dir.resolve(EVENTS), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return file;
    }

    private void writeState() throws IOException {
        Path tmp = dir.resolve(STATE + ".tmp");
        byte[] text = JSON.writeValueAsBytes(new State(stream, acked));
        try (FileChannel out = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(ByteBuffer.wrap(text));
            out.force(true);
        }
        Files.move(tmp, dir.resolve(STATE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The state file; without one (a new spool, or one lost), the stream of the events left, or a
     * new one. Events are then sent again from the first: the CA skips those it has.
     */
    private static State readState(Path file, List<Spooled> lines) throws IOException {
        if (Files.exists(file)) {
            State state = JSON.readValue(file.toFile(), State.class);
            if (state.stream() == null || !state.stream().matches("[a-z0-9]{1,32}") || state.acked() < 0) {
                throw new IOException(file + " is not an audit spool state: " + Files.readString(file));
            }
            return state;
        }
        if (!lines.isEmpty()) {
            String[] id = lines.get(lines.size() - 1).event().id().split(":");
            LOG.warn("{} is missing; sending every event in the spool again (the CA skips those it has)", file);
            return new State(id[id.length - 2], 0);
        }
        byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        return new State(HexFormat.of().formatHex(random), 0);
    }
}
