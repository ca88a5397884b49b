package dev.writ.bastion.audit;

import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.api.BastionAuditBatch;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that hands the {@link AuditSpool}'s events to the CA, oldest first, in batches
 * ({@code POST /v1/audit/bastion/batch}); the spool lets them go only once the CA answered 2xx.
 *
 * <p>While the CA cannot be reached, or answers 5xx or a status that says nothing about the events
 * (401, 403, 404, 408, 425, 429), the same batch is tried again after a wait that starts at
 * {@link #FIRST_BACKOFF} and doubles up to {@code maxBackoff}: nothing is skipped, so the CA's log
 * keeps the bastion's order. Any other 4xx means an event in the batch is bad: the events of that
 * batch are then sent one at a time, and the one the CA refuses is moved to the spool's
 * {@code rejected.jsonl} (logged, counted) so that it cannot hold up the rest.
 */
public final class AuditUploader implements AutoCloseable {

    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    /** At most this much JSON in one batch: well under the CA's 64 KiB body limit. */
    static final long BATCH_BYTES = 48 * 1024;
    /** Without news, the spool is looked at this often anyway. */
    private static final long IDLE_MILLIS = 1_000;
    private static final Set<Integer> TRANSIENT = Set.of(401, 403, 404, 408, 425, 429);
    private static final Logger LOG = LoggerFactory.getLogger(AuditUploader.class);

    private final AuditSpool spool;
    private final CaClient ca;
    private final BastionMetrics metrics;
    private final Duration maxBackoff;
    private final Thread thread;
    private volatile boolean stopping;
    /** Events up to this seq go one at a time: their batch had a bad one. */
    private long singlyUntil;

    public AuditUploader(AuditSpool spool, CaClient ca, BastionMetrics metrics, Duration maxBackoff) {
        this.spool = spool;
        this.ca = ca;
        this.metrics = metrics;
        this.maxBackoff = maxBackoff;
        this.thread = new Thread(this::run, "writ-audit-uploader");
        this.thread.setDaemon(true);
    }

    public AuditUploader start() {
        thread.start();
        return this;
    }

    private void run() {
        Duration backoff = FIRST_BACKOFF;
        while (!stopping) {
            try {
                List<AuditSpool.Spooled> batch = next();
                if (batch.isEmpty()) {
                    spool.awaitEvents(IDLE_MILLIS);
                    continue;
                }
                if (send(batch)) {
                    backoff = FIRST_BACKOFF;
                } else {
                    Thread.sleep(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                LOG.error("audit uploader: {}", e.toString(), e);
                sleepQuietly(backoff);
            }
        }
    }

    private List<AuditSpool.Spooled> next() {
        List<AuditSpool.Spooled> batch = spool.oldest(BastionAuditBatch.MAX_EVENTS, BATCH_BYTES);
        return !batch.isEmpty() && batch.get(0).seq() <= singlyUntil ? batch.subList(0, 1) : batch;
    }

    /** One try of one batch; false when it should be tried again after a wait. */
    boolean send(List<AuditSpool.Spooled> batch) {
        long last = batch.get(batch.size() - 1).seq();
        try {
            BastionAuditBatch.Answer answer = ca.auditBatch(new BastionAuditBatch(batch.stream().map(AuditSpool.Spooled::event)
                    .toList()));
            spool.ack(last);
            metrics.auditUpload("ok");
            if (answer.duplicates() > 0) {
                LOG.info("the CA already had {} of {} audit events up to seq {} (an answer was lost before)",
                        answer.duplicates(), batch.size(), last);
            }
            return true;
        } catch (CaException e) {
            return refused(batch, last, e);
        } catch (IOException e) {
            LOG.error("the CA has audit events up to seq {}, but the spool cannot record that: {}", last, e.toString());
            return false;
        }
    }

    private boolean refused(List<AuditSpool.Spooled> batch, long last, CaException e) {
        int status = e.status();
        if (status < 400 || status >= 500 || TRANSIENT.contains(status)) {
            metrics.auditUpload("failed");
            LOG.warn("audit events not sent to the CA ({} waiting): {}; will retry", spool.backlog(),
                    status == 0 ? e.getMessage() : "HTTP " + status + ": " + e.getMessage());
            return false;
        }
        if (batch.size() > 1) {
            LOG.warn("the CA refused a batch of audit events up to seq {} (HTTP {}: {}); sending them one at a time", last,
                    status, e.getMessage());
            singlyUntil = last;
            return true;
        }
        AuditSpool.Spooled event = batch.get(0);
        metrics.auditUpload("rejected");
        metrics.auditEventDropped("rejected");
        LOG.error("the CA refused audit event {} for good (HTTP {}: {}); moving it to {}", event.event().id(), status,
                e.getMessage(), spool.dir().resolve(AuditSpool.REJECTED));
        try {
            spool.reject(event, "HTTP " + status + ": " + e.getMessage());
            return true;
        } catch (IOException moveFailed) {
            LOG.error("cannot move audit event {} aside: {}", event.event().id(), moveFailed.toString());
            return false;
        }
    }

    private void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            stopping = true;
        }
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
