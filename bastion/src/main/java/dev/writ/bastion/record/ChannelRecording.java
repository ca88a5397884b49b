package dev.writ.bastion.record;

import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.ChannelInfo;
import dev.writ.bastion.observe.ChannelObserver;
import dev.writ.bastion.observe.Direction;
import dev.writ.bastion.observe.EndReason;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.observe.SessionControl;
import dev.writ.policy.RecordingMode;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The recording of one relayed channel, as the relay sees it. Called on MINA's I/O threads, it
 * only copies what it must keep into a queue and returns; the {@link Flusher} turns the queue into
 * the file. Past its limit the queue holds the relay back ({@link #room()}) instead of losing data;
 * only what cannot be written (the spool failing) is lost, counted and marked as a gap.
 *
 * <p>What a {@code session} channel becomes is known once it asks for a shell, a command or a
 * subsystem: a shell, or a command with a PTY, is a {@link Kind#TERMINAL terminal} recording (what
 * the target printed, resizes, and what the engineer typed when policy says so); a command without
 * a PTY or a subsystem is an {@link Kind#EVENTS events} recording (the command, exit status and
 * byte counts), as are port forwards and agent channels.
 *
 * <p>Every recording ends with a {@code closed} marker at the time the channel closed. When the
 * channel closes because the bastion ended its session, the session says why ({@link
 * SessionControl#ending()}: set before the bastion closes anything), and an {@code ended} marker
 * with that reason comes just before.
 */
final class ChannelRecording implements ChannelObserver {

    enum Kind { TERMINAL, EVENTS }

    /** What waits for the flusher; times are nanoseconds since the channel opened. */
    sealed interface Item permits Output, Input, Resize, Marker {
        long nanos();
    }

    record Output(long nanos, boolean stderr, byte[] bytes) implements Item {
    }

    record Input(long nanos, byte[] bytes) implements Item {
    }

    record Resize(long nanos, int columns, int rows) implements Item {
    }

    record Marker(long nanos, String json) implements Item {
    }

    /** What the flusher takes in one go. {@code kind} is null while the channel has not said what it is. */
    record Drained(List<Item> items, Kind kind, boolean closed) {
    }

    static final int DEFAULT_COLUMNS = 80;
    static final int DEFAULT_ROWS = 24;
    /** Header facts are bounded (the CA refuses longer ones); the whole command is in the exec marker. */
    static final int MAX_FACT = 256;

    private final String id;
    private final ChannelInfo info;
    private final SessionControl session;
    private final Clock clock;
    private final BastionMetrics metrics;
    private final long limit;
    private final Runnable wake;
    private final Redaction redaction;
    /** What was typed and not echoed yet: never recorded unless the output shows it. */
    private final EchoWatch echoes = new EchoWatch();
    private final CompletableFuture<RecordingLoss> settled = new CompletableFuture<>();
    private final AtomicLong bytesToTarget = new AtomicLong();
    private final AtomicLong bytesToClient = new AtomicLong();

    // guarded by this
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private long queued;
    /** Completed when the queue is taken; the relay holds back acknowledgments until then. Null while there is room. */
    private CompletableFuture<Void> roomAgain;
    private long lastNanos;
    private boolean closed;
    /** When the channel closed, in nanoseconds since it opened: the time of the closing marker. */
    private long closedNanos;
    private Kind kind;
    private boolean pty;
    private int columns;
    private int rows;
    private String term;
    private String command;
    private String subsystem;
    private RecordingLoss loss = RecordingLoss.NONE;
    private boolean endRequested;

    /**
     * @param limit bytes of data the queue holds at most
     * @param wake  tells the flusher to come early (the queue is filling up, or the channel closed)
     */
    ChannelRecording(ChannelInfo info, SessionControl session, Clock clock, BastionMetrics metrics, long limit, Runnable wake) {
        this(info, session, clock, metrics, limit, wake, Redaction.NONE);
    }

    /** @param redaction what is replaced in the target's output before it is written */
    ChannelRecording(ChannelInfo info, SessionControl session, Clock clock, BastionMetrics metrics, long limit, Runnable wake,
                     Redaction redaction) {
        this.redaction = redaction;
        this.id = info.sessionId() + "-" + info.channelId();
        this.info = info;
        this.session = session;
        this.clock = clock;
        this.metrics = metrics;
        this.limit = limit;
        this.wake = wake;
        switch (info.type()) {
            case "session" -> kind = null; // decided by its requests
            case "direct-tcpip" -> {
                kind = Kind.EVENTS;
                queue.add(new Marker(0, Markers.forward(info.details().getOrDefault("host", "?"),
                        info.details().getOrDefault("port", "?"))));
            }
            default -> {
                kind = Kind.EVENTS;
                queue.add(new Marker(0, Markers.agent()));
            }
        }
    }

    String id() {
        return id;
    }

    Redaction redaction() {
        return redaction;
    }

    ChannelInfo info() {
        return info;
    }

    RecordingMode mode() {
        return info.recording();
    }

    CompletableFuture<RecordingLoss> settled() {
        return settled;
    }

    // --- from the relay (MINA's threads): copy, queue, return ---

    @Override
    public void data(Direction direction, boolean stderr, byte[] bytes, int offset, int length) {
        (direction == Direction.TO_TARGET ? bytesToTarget : bytesToClient).addAndGet(length);
        if (direction == Direction.TO_TARGET && !info.recordInput()) {
            return;
        }
        synchronized (this) {
            if (kind == Kind.EVENTS || closed) {
                return; // counted above; an events recording keeps no data
            }
            long nanos = now();
            byte[] copy = new byte[length];
            System.arraycopy(bytes, offset, copy, 0, length);
            if (direction == Direction.TO_CLIENT) {
                queue.add(new Output(nanos, stderr, copy));
                for (EchoWatch.Typed typed : echoes.printed(copy, 0, length)) {
                    queue.add(new Input(nanos, typed.bytes())); // its echo came: recorded just after it
                }
            } else {
                byte[] now = echoes.typed(nanos, copy);
                if (now != null) {
                    queue.add(new Input(nanos, now));
                }
            }
            queued += length;
            if (queued > limit / 4) {
                wake.run();
            }
        }
    }

    /**
     * Past its limit the queue holds the relay back: the data already passed is acknowledged to
     * its sender once the flusher has taken the queue. So the queue holds at most the limit plus
     * one channel window per direction, and nothing is lost for being slow.
     */
    @Override
    public synchronized CompletionStage<Void> room() {
        if (queued <= limit) {
            return ROOM;
        }
        if (roomAgain == null) {
            roomAgain = new CompletableFuture<>();
            wake.run();
        }
        return roomAgain;
    }

    @Override
    public void request(Direction direction, String type, byte[] payload, boolean relayed) {
        if (!relayed) {
            return; // refused requests are audited by the relay
        }
        try {
            if (direction == Direction.TO_TARGET) {
                fromClient(type, new ByteArrayBuffer(payload));
            } else {
                fromTarget(type, new ByteArrayBuffer(payload));
            }
        } catch (RuntimeException e) {
            // a malformed payload: the target will refuse it too; nothing to record
        }
    }

    @Override
    public synchronized void fileOperation(String operation, String path, String to, boolean refused) {
        if (!closed) {
            queue.add(new Marker(now(), Markers.sftp(operation, path, to, refused)));
        }
    }

    private synchronized void fromClient(String type, ByteArrayBuffer payload) {
        switch (type) {
            case "pty-req" -> {
                pty = true;
                term = payload.getString();
                columns = (int) payload.getUInt();
                rows = (int) payload.getUInt();
            }
            case "env" -> {
                if ("TERM".equals(payload.getString()) && term == null) {
                    term = payload.getString();
                }
            }
            case "shell" -> decide(Kind.TERMINAL, Markers.shell());
            case "exec" -> {
                command = payload.getString();
                decide(pty ? Kind.TERMINAL : Kind.EVENTS, Markers.exec(command));
            }
            case "subsystem" -> {
                subsystem = payload.getString();
                decide(Kind.EVENTS, Markers.subsystem(subsystem));
            }
            case "window-change" -> {
                int newColumns = (int) payload.getUInt();
                int newRows = (int) payload.getUInt();
                if (kind == null) {
                    columns = newColumns;
                    rows = newRows;
                } else if (kind == Kind.TERMINAL) {
                    queue.add(new Resize(now(), newColumns, newRows));
                }
            }
            case "signal" -> queue.add(new Marker(now(), Markers.signal(payload.getString())));
            default -> {
                // break, eow, agent forwarding: nothing a reviewer needs in the recording
            }
        }
    }

    private synchronized void fromTarget(String type, ByteArrayBuffer payload) {
        switch (type) {
            case "exit-status" -> queue.add(new Marker(now(), Markers.exitStatus(payload.getUInt())));
            case "exit-signal" -> queue.add(new Marker(now(), Markers.exitSignal(payload.getString(), payload.getBoolean())));
            default -> {
            }
        }
    }

    /** The first shell, exec or subsystem decides; the target refuses a second one. */
    private void decide(Kind decided, String marker) {
        if (kind == null) {
            kind = decided;
            if (decided == Kind.EVENTS) {
                dropData(); // anything sent before the command is only counted
            }
        }
        queue.add(new Marker(now(), marker));
    }

    @Override
    public void eof(Direction direction) {
    }

    @Override
    public void closed() {
        EndReason ending = session.ending(); // set before the bastion closes anything
        synchronized (this) {
            closedNanos = now();
            if (ending != null) {
                queue.add(new Marker(closedNanos, Markers.ended(ending)));
            }
            closed = true;
        }
        wake.run();
    }

    // --- for the flusher ---

    synchronized Drained drain() {
        if (kind == null && !closed) {
            return new Drained(List.of(), null, false); // not yet known what to write; keep it queued
        }
        long nanos = now();
        if (closed) {
            echoes.close();
        } else {
            echoes.expire(nanos);
        }
        long withheld = echoes.takeWithheld();
        if (withheld > 0) {
            queue.add(new Marker(nanos, Markers.inputWithheld(withheld)));
        }
        List<Item> items = new ArrayList<>(queue);
        queue.clear();
        queued = 0;
        freeRoom();
        return new Drained(items, kind, closed);
    }

    /**
     * The queue is empty again: the relay may acknowledge what it held back. On another thread,
     * never under this lock: acknowledging takes MINA's channel locks, which the relay holds when
     * it calls in here.
     */
    private void freeRoom() {
        CompletableFuture<Void> waiting = roomAgain;
        roomAgain = null;
        if (waiting != null) {
            ForkJoinPool.commonPool().execute(() -> waiting.complete(null));
        }
    }

    /** Items the flusher took but could not write: lost, and counted as such. */
    synchronized void lost(List<Item> items, String reason) {
        long bytes = 0;
        for (Item item : items) {
            bytes += dataBytes(item);
        }
        if (bytes > 0) {
            metrics.recordingBytesLost(bytes);
            loss = loss.plus(new RecordingLoss(bytes, reason));
        }
    }

    synchronized RecordingLoss loss() {
        return loss;
    }

    /** Strict mode and the recording failed: the session ends (once). */
    synchronized boolean endSessionOnce() {
        if (info.recording() != RecordingMode.STRICT || endRequested) {
            return false;
        }
        endRequested = true;
        return true;
    }

    SessionControl session() {
        return session;
    }

    synchronized Asciicast.Header header() {
        Map<String, String> writ = new LinkedHashMap<>();
        writ.put(RecordingUpload.SESSION_ID, info.sessionId());
        writ.put(RecordingUpload.IDENTITY, fact(info.identity()));
        writ.put(RecordingUpload.LOGIN, fact(info.login()));
        writ.put(RecordingUpload.TARGET, fact(info.target()));
        writ.put(RecordingUpload.SERIAL, info.serial());
        writ.put(RecordingUpload.CLIENT_ADDRESS, fact(info.clientAddress()));
        if (!info.grantedRoles().isEmpty()) {
            writ.put(RecordingUpload.GRANT, fact(String.join(",", info.grantedRoles())));
        }
        writ.put("roles", fact(String.join(",", info.roles())));
        writ.put("channel", Long.toString(info.channelId()));
        writ.put("channel_type", info.type());
        writ.put("recording", kind == Kind.TERMINAL ? "terminal" : "events");
        writ.put("mode", info.recording().policyName());
        writ.put("record_input", Boolean.toString(info.recordInput()));
        if (command != null) {
            writ.put("command", fact(command));
        }
        if (subsystem != null) {
            writ.put("subsystem", fact(subsystem));
        }
        if (info.type().equals("direct-tcpip")) {
            writ.put("forward_to", fact(info.details().get("host") + ":" + info.details().get("port")));
        }
        // a client without a terminal of its own (ssh -tt in a script) asks for a PTY of size 0x0
        boolean sized = columns > 0 && rows > 0;
        return new Asciicast.Header(sized ? columns : DEFAULT_COLUMNS, sized ? rows : DEFAULT_ROWS,
                info.openedAt().getEpochSecond(), term == null ? null : fact(term), writ);
    }

    /**
     * The last event of every finished recording, at the time the channel closed (not that of the
     * event before it: a command killed after an hour of silence lasted an hour), so that the
     * recording's length is the channel's.
     */
    synchronized Marker closingMarker() {
        return new Marker(closedNanos, Markers.closed(bytesToTarget.get(), bytesToClient.get()));
    }

    static long dataBytes(Item item) {
        if (item instanceof Output output) {
            return output.bytes().length;
        }
        if (item instanceof Input input) {
            return input.bytes().length;
        }
        return 0;
    }

    // --- inside ---

    /** Time since the channel opened, never going back (the wall clock may). */
    private long now() {
        long nanos = Math.max(lastNanos, Duration.between(info.openedAt(), clock.instant()).toNanos());
        lastNanos = nanos;
        return nanos;
    }

    private void dropData() {
        queue.removeIf(item -> item instanceof Output || item instanceof Input);
        queued = 0;
        freeRoom();
    }

    private static String fact(String value) {
        String text = value == null ? "" : value;
        return text.length() <= MAX_FACT ? text : text.substring(0, MAX_FACT) + "...";
    }
}
