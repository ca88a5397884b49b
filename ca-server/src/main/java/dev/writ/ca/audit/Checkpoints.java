package dev.writ.ca.audit;

import dev.writ.ca.config.AuditSettings;
import dev.writ.ca.keys.AuditSigner;
import dev.writ.ca.store.CheckpointTable;
import dev.writ.ca.store.CheckpointTable.Link;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs checkpoints of the audit chain with the audit key: the committed head (sequence number,
 * hash), the time and the key's id, stored in {@link CheckpointTable}. A background task looks at
 * the head every second (or every {@code checkpoint_every}, when shorter) and signs it once
 * {@code checkpoint_every_events} events were appended since the last checkpoint, or
 * {@code checkpoint_every} has passed since it and any event was appended. An export signs the
 * head at once ({@link #checkpointNow()}), so that every event it holds is covered.
 */
public final class Checkpoints implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    private final CheckpointTable table;
    private final AuditSigner key;
    private final String keyId;
    private final Clock clock;
    private final AuditSettings settings;
    private final ScheduledExecutorService timer;

    public Checkpoints(CheckpointTable table, AuditSigner key, Clock clock, AuditSettings settings) {
        this.table = table;
        this.key = key;
        this.keyId = PublicKeys.fingerprint(key.publicKey());
        this.clock = clock;
        this.settings = settings;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "writ-audit-checkpoints");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the background checkpoints. */
    public Checkpoints start() {
        long pollMillis = Math.min(POLL.toMillis(), settings.checkpointEveryDuration().toMillis());
        timer.scheduleWithFixedDelay(this::tick, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The audit key's id: its {@code SHA256:...} fingerprint. */
    public String keyId() {
        return keyId;
    }

    public AuditSigner key() {
        return key;
    }

    /** Signs the committed head unless the newest checkpoint already names it; returns the newest checkpoint. */
    public synchronized Optional<AuditCheckpoint> checkpointNow() throws StoreException, GeneralSecurityException {
        Optional<Link> head = table.committedHead();
        Optional<AuditCheckpoint> newest = table.newest();
        if (head.isEmpty() || newest.isPresent() && newest.get().seq() >= head.get().seq()) {
            return newest;
        }
        return Optional.of(sign(head.get()));
    }

    private synchronized void tick() {
        try {
            Optional<Link> head = table.committedHead();
            if (head.isEmpty()) {
                return;
            }
            Optional<AuditCheckpoint> newest = table.newest();
            long since = newest.map(AuditCheckpoint::seq).orElse(0L);
            long appended = head.get().seq() - since;
            Instant now = clock.instant();
            boolean due = appended >= settings.checkpointEveryEvents() || appended > 0 && (newest.isEmpty()
                    || !now.isBefore(newest.get().at().plus(settings.checkpointEveryDuration())));
            if (due) {
                sign(head.get());
            }
        } catch (StoreException | GeneralSecurityException | RuntimeException e) {
            LOG.error("cannot sign an audit checkpoint: {}", e.toString()); // retried at the next tick
        }
    }

    private AuditCheckpoint sign(Link head) throws StoreException, GeneralSecurityException {
        Instant at = clock.instant();
        byte[] signature = key.sign(AuditCheckpoint.statement(head.seq(), head.hash(), at, keyId));
        AuditCheckpoint checkpoint = new AuditCheckpoint(head.seq(), head.hash(), at, keyId,
                Base64.getEncoder().encodeToString(signature));
        table.insert(checkpoint);
        return checkpoint;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
