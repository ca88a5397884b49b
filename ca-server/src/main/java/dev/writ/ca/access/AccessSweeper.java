package dev.writ.ca.access;

import dev.writ.ca.store.AccessConflict;
import dev.writ.ca.store.AccessRequest;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.AccessRequests;
import dev.writ.ca.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires pending requests past their wait and ends grants past their end. Runs every
 * {@link #INTERVAL} on its own thread, at most {@link #BATCH} changes per run, and also on demand
 * before every read or review of access requests, so that nobody sees a stale state.
 */
final class AccessSweeper implements AutoCloseable {

    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final int BATCH = 200;
    static final String REACHED_ITS_END = "reached its end";

    private static final Logger LOG = LoggerFactory.getLogger(AccessSweeper.class);

    private final AccessRequests requests;
    private final AccessEvents events;
    private final Clock clock;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "writ-access-sweeper");
        thread.setDaemon(true);
        return thread;
    });

    AccessSweeper(AccessRequests requests, AccessEvents events, Clock clock) {
        this.requests = requests;
        this.events = events;
        this.clock = clock;
    }

    void start() {
        scheduler.scheduleWithFixedDelay(this::sweepQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Applies every due change (up to {@link #BATCH}); returns how many it made. */
    synchronized int sweep() throws StoreException {
        Instant now = clock.instant();
        int changes = 0;
        for (AccessRequest due : requests.due(now, BATCH)) {
            try {
                var changed = requests.change(due.id(), current -> {
                    if (!current.isDue(now)) {
                        throw AccessConflict.conflict("access request " + current.id() + " is no longer due");
                    }
                    return current.state() == State.pending ? current.expire(now) : current.end(now, REACHED_ITS_END);
                }, c -> events.closed(c, AccessEvents.SYSTEM, null));
                events.announce(changed);
                changes++;
            } catch (AccessConflict changedMeanwhile) {
                // a reviewer or the requester got there first: nothing left to do
            }
        }
        return changes;
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (StoreException | RuntimeException e) {
            LOG.error("access request sweep failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
