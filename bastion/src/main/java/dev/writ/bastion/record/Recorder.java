package dev.writ.bastion.record;

import dev.writ.bastion.ca.BastionCredential;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.config.BastionConfig;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.ChannelInfo;
import dev.writ.bastion.observe.ChannelObserver;
import dev.writ.bastion.observe.SessionControl;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.policy.RecordingMode;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's session recorder: every relayed channel whose roles record it gets a
 * {@link ChannelRecording}, written to the {@link Spool} by the {@link Flusher} and uploaded by
 * the {@link Uploader}. At start, recordings a crash left unfinished are closed as truncated
 * ({@link CrashRecovery}) and queued for upload with the rest.
 */
public final class Recorder implements SessionRecorder, AutoCloseable {

    /** Bytes of channel data one recording holds in memory at most, waiting for the flusher. */
    static final long BUFFER_BYTES = 4L << 20;
    static final String UNAVAILABLE = "your roles require this session to be recorded, and the bastion cannot record "
            + "right now; try again later";
    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);

    private final Spool spool;
    private final Flusher flusher;
    private final Uploader uploader;
    private final BastionMetrics metrics;
    private final Clock clock;

    private final Redaction redaction;

    private Recorder(Spool spool, Flusher flusher, Uploader uploader, BastionMetrics metrics, Clock clock,
                     Redaction redaction) {
        this.redaction = redaction;
        this.spool = spool;
        this.flusher = flusher;
        this.uploader = uploader;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Opens the spool, closes what a crash left in it, and starts writing and uploading.
     *
     * @param uploads     the client that uploads recordings: the CA, or {@code recordings.upload_url}
     * @param interrupted told the writ facts of every recording a crash left unfinished (its session ended with the crash)
     */
    public static Recorder start(BastionConfig.Recordings config, CaClient uploads, BastionCredential credential,
                                 BastionMetrics metrics, Clock clock, Consumer<List<Map<String, String>>> interrupted) {
        Spool spool = Spool.open(config.spool());
        List<Map<String, String>> left = CrashRecovery.recover(spool, metrics);
        if (!left.isEmpty()) {
            interrupted.accept(left);
        }
        Uploader uploader = new Uploader(spool, uploads, credential, metrics, config.uploadAttempts(),
                config.uploadBackoffDuration(), config.uploadTimeoutDuration());
        Flusher flusher = new Flusher(spool, metrics, uploader::wake);
        metrics.recordingSpool(() -> spool.finished().size(), () -> spool.problem() == null ? 1 : 0);
        flusher.start();
        uploader.start();
        LOG.info("recording to {} ({} left unfinished by the last run, closed as truncated), uploading to {}", spool.dir(),
                left.size(), config.uploadUrl());
        return new Recorder(spool, flusher, uploader, metrics, clock, Redaction.of(config.redactPatterns()));
    }

    @Override
    public ChannelObserver channelOpened(ChannelInfo channel, SessionControl session) {
        if (channel.recording() == RecordingMode.OFF) {
            return ChannelObserver.NONE;
        }
        ChannelRecording recording = new ChannelRecording(channel, session, clock, metrics, BUFFER_BYTES, flusher::wake,
                redaction);
        session.recording(recording.settled());
        flusher.add(recording);
        return recording;
    }

    @Override
    public String unavailableFor(RecordingMode mode) {
        return mode == RecordingMode.STRICT && spool.problem() != null ? UNAVAILABLE : null;
    }

    /** Writes out what is buffered and stops; recordings of channels still open are closed as truncated at the next start. */
    @Override
    public void close() {
        flusher.close();
        uploader.close();
    }
}
