package dev.writ.ca.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.store.ClusterEvents;
import dev.writ.ca.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How CA replicas on one database tell each other what they learn of the bastions: each event
 * is written to the store's {@code cluster_events} table, and every replica reads the new rows
 * every {@link #POLL} and applies those the others wrote. A starting replica first applies the
 * events of the last {@link LiveSessions#SILENCE}, which hold every live bastion's latest report.
 */
public final class ReplicaEvents implements AutoCloseable {

    /** Applies one event another replica wrote; {@code at} is when it was written. */
    @FunctionalInterface
    public interface Listener {
        void apply(String kind, JsonNode payload, Instant at);
    }

    static final Duration POLL = Duration.ofMillis(250);
    /** Events are kept this long, then deleted by whichever replica prunes. */
    static final Duration KEEP = Duration.ofMinutes(5);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
    private static final int PAGE = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterEvents table;
    private final Clock clock;
    private final String origin = UUID.randomUUID().toString();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "writ-replica-events");
        thread.setDaemon(true);
        return thread;
    });
    private Listener listener;
    private long lastId;
    private Instant lastPrune;

    public ReplicaEvents(ClusterEvents table, Clock clock) {
        this.table = table;
        this.clock = clock;
        this.lastPrune = clock.instant();
    }

    /** Catches up on the recent events, then applies new ones as they come. */
    public void start(Listener listener) throws StoreException {
        this.listener = listener;
        lastId = table.lastId();
        for (ClusterEvents.Event event : table.since(clock.instant().minus(LiveSessions.SILENCE), 100_000)) {
            if (event.id() <= lastId) {
                deliver(event);
            }
        }
        timer.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tells the other replicas; a store that cannot take it is logged, and this replica carries on alone. */
    public void publish(String kind, Object payload) {
        try {
            table.publish(origin, kind, JSON.writeValueAsString(payload), clock.instant());
        } catch (StoreException | JsonProcessingException e) {
            LOG.warn("cannot tell the other CA replicas of {}: {}", kind, e.getMessage());
        }
    }

    private void poll() {
        try {
            for (List<ClusterEvents.Event> page; !(page = table.after(lastId, PAGE)).isEmpty(); ) {
                for (ClusterEvents.Event event : page) {
                    lastId = event.id();
                    deliver(event);
                }
                if (page.size() < PAGE) {
                    break;
                }
            }
            Instant now = clock.instant();
            if (lastPrune.plus(PRUNE_EVERY).isBefore(now)) {
                lastPrune = now;
                table.prune(now.minus(KEEP));
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("cannot read what the other CA replicas said: {}", e.toString());
        }
    }

    private void deliver(ClusterEvents.Event event) {
        if (origin.equals(event.origin())) {
            return;
        }
        try {
            listener.apply(event.kind(), JSON.readTree(event.payload()), event.at());
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("ignoring replica event {} ({}): {}", event.id(), event.kind(), e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
