package dev.writ.bastion.session;

import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.trust.Authority;
import dev.writ.protocol.api.BastionSync;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's way to reach the bastion: one {@code POST /v1/bastion/sync} always open, reporting the
 * sessions held, answered by the CA as soon as it has news — a newer KRL (fetched and enforced
 * at once, so revoked sessions end within a second rather than at the next poll), or sessions
 * an admin ended. The KRL poll on the timer stays, for when the CA cannot be reached this way.
 * Failures back off from one second to thirty; a thread of its own, stopped by {@link #close}.
 */
public final class CaSync implements AutoCloseable {

    /** How long the CA may hold an answer back while nothing changes. */
    static final int WAIT_SECONDS = 20;
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(CaSync.class);

    private final CaClient ca;
    private final Authority authority;
    private final Sessions sessions;
    private final BastionMetrics metrics;
    private final Thread thread;
    private volatile boolean running = true;

    private CaSync(CaClient ca, Authority authority, Sessions sessions, BastionMetrics metrics) {
        this.ca = ca;
        this.authority = authority;
        this.sessions = sessions;
        this.metrics = metrics;
        this.thread = new Thread(this::run, "writ-ca-sync");
        this.thread.setDaemon(true);
    }

    public static CaSync start(CaClient ca, Authority authority, Sessions sessions, BastionMetrics metrics) {
        CaSync sync = new CaSync(ca, authority, sessions, metrics);
        sync.thread.start();
        return sync;
    }

    private void run() {
        Duration backoff = FIRST_BACKOFF;
        while (running) {
            try {
                long reported = authority.current().krl().version();
                BastionSync.Answer answer = ca.sync(new BastionSync(reported, sessions.live(), WAIT_SECONDS));
                backoff = FIRST_BACKOFF;
                if (answer.krlVersion() > reported) {
                    metrics.krlPushed();
                }
                if (!act(answer) && !pause(FIRST_BACKOFF)) { // behind, and the fetch failed: not again at once
                    return;
                }
            } catch (CaException e) {
                if (!running) {
                    return;
                }
                metrics.syncFailed();
                LOG.warn("sync with the CA failed, retrying in {} s (revocations still arrive by polling): {}",
                        backoff.toSeconds(), e.getMessage());
                if (!pause(backoff)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } catch (RuntimeException e) {
                LOG.error("sync with the CA: {}", e.toString());
                if (!pause(MAX_BACKOFF)) {
                    return;
                }
            }
        }
    }

    /** Does what the CA said; returns false when the bastion's KRL is still behind the CA's. */
    private boolean act(BastionSync.Answer answer) {
        for (BastionSync.SessionEnd end : answer.end()) {
            boolean found = sessions.endedByAdmin(end.id(), end.by(), end.reason());
            LOG.info("session {} ended by {} at the CA{}", end.id(), end.by(), found ? "" : " (it had closed already)");
        }
        if (answer.krlVersion() > authority.current().krl().version()) {
            try {
                sessions.enforce(authority.refreshKrl());
            } catch (Exception e) {
                LOG.warn("the CA announced revocation list {}, which cannot be fetched (the poll retries): {}",
                        answer.krlVersion(), e.getMessage());
            }
        }
        return answer.krlVersion() <= authority.current().krl().version();
    }

    private boolean pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return running;
        } catch (InterruptedException e) {
            return false;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
