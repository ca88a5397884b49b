package dev.writ.bastion.record;

import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.record.ChannelRecording.Drained;
import dev.writ.bastion.record.ChannelRecording.Item;
import dev.writ.policy.RecordingMode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes recordings: every half second (sooner when a queue fills up or a
 * channel closes) it moves each channel's queue into its file, finishes the files of closed
 * channels and hands them to the uploader, and probes the spool once a second.
 *
 * <p>When a recording cannot be written it applies the recording mode: {@code strict} ends the
 * session with a message on the engineer's terminal; {@code best_effort} counts the lost bytes,
 * marks the gap in the file once writing works again, and keeps the session going.
 */
final class Flusher implements AutoCloseable {

    static final Duration TICK = Duration.ofMillis(500);
    static final Duration PROBE = Duration.ofSeconds(1);
    /** A closed channel whose file cannot be finished is retried this many ticks, then left to crash recovery. */
    static final int FINISH_ATTEMPTS = 20;
    /** Events kept while a recording cannot be written, at most. */
    static final int MAX_RETAINED = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

    /** The writing side of one recording; touched by the flusher thread only. */
    private static final class Writing {
        CastFile file;
        long gapNanos = -1;
        long gapBytes;
        String gapReason;
        final List<Item> retained = new ArrayList<>();
        boolean failing;
        boolean written;
        int finishFailures;
    }

    private final Spool spool;
    private final BastionMetrics metrics;
    private final Runnable finished;
    private final Set<ChannelRecording> live = ConcurrentHashMap.newKeySet();
    private final Map<ChannelRecording, Writing> writing = new HashMap<>();
    private final Semaphore wakeups = new Semaphore(0);
    private final Thread thread;
    private volatile boolean stopping;
    private long lastProbe;

    /** @param finished runs when a recording joins the upload queue */
    Flusher(Spool spool, BastionMetrics metrics, Runnable finished) {
        this.spool = spool;
        this.metrics = metrics;
        this.finished = finished;
        this.thread = new Thread(this::run, "writ-recording-flusher");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void add(ChannelRecording recording) {
        live.add(recording);
    }

    /** Comes round early. Never blocks. */
    void wake() {
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    private void run() {
        while (!stopping) {
            try {
                wakeups.tryAcquire(TICK.toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } catch (InterruptedException e) {
                break;
            }
            pass();
        }
        pass(); // what the last moments brought
    }

    /** One round over every live recording, then the spool probe if due. */
    void pass() {
        for (ChannelRecording recording : List.copyOf(live)) {
            try {
                flush(recording);
            } catch (RuntimeException e) {
                LOG.error("recording {}: {}", recording.id(), e.toString(), e);
            }
        }
        long now = System.nanoTime();
        if (now - lastProbe >= PROBE.toNanos()) {
            lastProbe = now;
            spool.probe();
        }
    }

    private void flush(ChannelRecording recording) {
        Drained drained = recording.drain();
        if (drained.kind() == null) {
            if (drained.closed()) {
                done(recording, null); // closed before it was a shell, command or subsystem: nothing to keep
            }
            return;
        }
        Writing state = writing.computeIfAbsent(recording, r -> new Writing());
        try {
            if (state.file == null) {
                state.file = CastFile.create(spool.part(recording.id()), recording.header(), recording.redaction());
            } else if (!state.file.inPlace()) {
                throw new IOException("the recording file " + state.file.path() + " is gone from the spool");
            }
            List<Item> items = drained.items();
            if (!state.retained.isEmpty() || state.gapNanos >= 0) {
                // after a failure: the events kept from it, the gap where its data was, then what came since
                List<Item> all = new ArrayList<>(state.retained);
                if (state.gapNanos >= 0) {
                    all.add(new ChannelRecording.Marker(state.gapNanos, Markers.gap(state.gapBytes, state.gapReason)));
                }
                all.addAll(items);
                items = all;
            }
            state.file.write(items, drained.kind());
            state.retained.clear();
            state.gapNanos = -1;
            state.gapBytes = 0;
            if (state.failing) {
                state.failing = false;
                LOG.info("recording {}: writing again", recording.id());
            }
        } catch (IOException e) {
            failed(recording, state, drained.items(), Spool.describe(e));
        }
        if (recording.loss().bytes() > 0 && recording.mode() == RecordingMode.STRICT) {
            endSession(recording, recording.loss().reason());
        }
        if (drained.closed()) {
            finish(recording, state);
        }
    }

    private void finish(ChannelRecording recording, Writing state) {
        if (state.file == null || !state.file.inPlace()) {
            done(recording, state); // never written, or gone: what it lost is counted
            return;
        }
        try {
            if (!state.written) {
                state.file.finish(recording.closingMarker());
                state.file.close();
                state.written = true;
            }
            spool.finish(recording.id());
            metrics.recordingWritten();
            done(recording, state);
            finished.run();
        } catch (IOException e) {
            if (++state.finishFailures < FINISH_ATTEMPTS && !stopping) {
                LOG.warn("cannot finish recording {} (will retry): {}", recording.id(), Spool.describe(e));
                return;
            }
            LOG.error("cannot finish recording {}: {}; it stays in the spool, closed as truncated at the next start",
                    recording.id(), Spool.describe(e));
            state.file.close();
            done(recording, state);
        }
    }

    /**
     * Writing failed: the data is lost, the events (commands, exits, resizes) are kept for the next
     * attempt; strict ends the session, best effort remembers the gap, to mark it in the file.
     */
    private void failed(ChannelRecording recording, Writing state, List<Item> items, String why) {
        spool.failed(why);
        List<Item> data = items.stream().filter(item -> ChannelRecording.dataBytes(item) > 0).toList();
        recording.lost(data, why);
        if (state.gapNanos < 0 && !data.isEmpty()) {
            state.gapNanos = data.get(0).nanos();
            state.gapReason = why;
        }
        state.gapBytes += data.stream().mapToLong(ChannelRecording::dataBytes).sum();
        items.stream().filter(item -> ChannelRecording.dataBytes(item) == 0).limit(MAX_RETAINED - state.retained.size())
                .forEach(state.retained::add);
        if (!state.failing) {
            state.failing = true;
            LOG.warn("recording {} ({}): cannot write: {}", recording.id(), recording.mode().policyName(), why);
        }
        endSession(recording, why);
    }

    private void endSession(ChannelRecording recording, String why) {
        if (recording.endSessionOnce()) {
            LOG.error("session {}: its recording cannot be written ({}); ending it, as its strict recording mode requires",
                    recording.info().sessionId(), why);
            recording.session().end("recording_failed", "writ: this session must be recorded, and the recording cannot be "
                    + "written right now; the session is closed. Try again later.");
        }
    }

    private void done(ChannelRecording recording, Writing state) {
        if (state != null && state.file != null) {
            state.file.close();
        }
        live.remove(recording);
        writing.remove(recording);
        RecordingLoss loss = recording.loss();
        if (loss.bytes() > 0) {
            LOG.warn("recording {} lost {} bytes: {}", recording.id(), loss.bytes(), loss.reason());
        }
        recording.settled().complete(loss);
    }

    @Override
    public void close() {
        stopping = true;
        wake();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // channels still open keep their .part file: closed as truncated at the next start
        writing.values().forEach(state -> {
            if (state.file != null) {
                state.file.close();
            }
        });
    }
}
