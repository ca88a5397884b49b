package dev.writ.ca.http;

import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refusals that anyone can cause in any number (no verified identity: unknown paths, missing or
 * bad tokens; and requests over a rate limit) go to the audit log as one
 * {@code request.refused.summary} event per source and window, carrying how many there were, by
 * reason, and the first one's method, path, status, reason and detail. So a flood grows the log
 * by at most one event per source and window, however fast it comes.
 *
 * <p>A source is the actor with the client address. At most {@code maxSources} sources are
 * summarised apart per window; the others share one summary (source address {@code null}, marked
 * {@code overflow}). A window opens with a source's first refusal and its summary is written
 * once the window has passed (checked every second, by the injected clock) or when the CA stops.
 * A crash loses at most the summaries of the open windows; the metric counted them all.
 */
final class RefusalSummaries implements AutoCloseable {

    static final String EVENT = "request.refused.summary";
    private static final Logger LOG = LoggerFactory.getLogger(RefusalSummaries.class);
    private static final Source OVERFLOW = new Source("anonymous", null);

    private record Source(String actor, String address) {
    }

    private static final class Window {
        final Instant start;
        final Map<String, Object> first;
        final Map<String, Long> reasons = new TreeMap<>();
        long count;

        Window(Instant start, Map<String, Object> first) {
            this.start = start;
            this.first = first;
        }
    }

    private final Store store;
    private final Clock clock;
    private final Duration window;
    private final int maxSources;
    private final Map<Source, Window> open = new LinkedHashMap<>();
    private final ScheduledExecutorService flusher;

    RefusalSummaries(Store store, Clock clock, Duration window, int maxSources) {
        this.store = store;
        this.clock = clock;
        this.window = window;
        this.maxSources = maxSources;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "writ-refusal-summaries");
            thread.setDaemon(true);
            return thread;
        });
        flusher.scheduleWithFixedDelay(this::flushQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Counts one refusal of {@code actor} from {@code address}; {@code first} describes it, kept
     * when it opens a window. True when it did (worth a log line; the rest of the window is not).
     */
    boolean refused(String actor, String address, String reason, Map<String, Object> first) {
        Instant now = clock.instant();
        synchronized (this) {
            Source source = new Source(actor, address);
            Window current = open.get(source);
            boolean opened = false;
            if (current == null) {
                if (open.size() >= maxSources) {
                    source = OVERFLOW;
                    current = open.get(OVERFLOW);
                }
                if (current == null) {
                    current = new Window(now, first);
                    open.put(source, current);
                    opened = true;
                }
            }
            current.count++;
            current.reasons.merge(reason, 1L, Long::sum);
            return opened;
        }
    }

    /** Writes the summaries of the windows that have passed. */
    void flush() throws StoreException {
        write(closed(false));
    }

    private synchronized List<Map.Entry<Source, Window>> closed(boolean all) {
        Instant now = clock.instant();
        List<Map.Entry<Source, Window>> due = new ArrayList<>();
        for (Iterator<Map.Entry<Source, Window>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Source, Window> entry = it.next();
            if (all || !now.isBefore(entry.getValue().start.plus(window))) {
                due.add(entry);
                it.remove();
            }
        }
        return due;
    }

    private void write(List<Map.Entry<Source, Window>> due) throws StoreException {
        for (Map.Entry<Source, Window> entry : due) {
            Window w = entry.getValue();
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("count", w.count);
            details.put("reasons", w.reasons);
            details.put("first", w.first);
            details.put("window_start", w.start.toString());
            details.put("window_seconds", window.toSeconds());
            if (entry.getKey() == OVERFLOW) {
                details.put("overflow", "more than " + maxSources + " sources in this window: the rest are counted here");
            }
            store.audit(new AuditEvent(clock.instant(), EVENT, entry.getKey().actor(), AuditEvent.Outcome.refused,
                    entry.getKey().address(), details));
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (StoreException | RuntimeException e) {
            LOG.error("cannot write refusal summaries: {}", e.toString());
        }
    }

    /** Stops the flusher and writes every open window, passed or not. */
    @Override
    public void close() {
        flusher.shutdownNow();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
            write(closed(true));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (StoreException | RuntimeException e) {
            LOG.error("cannot write refusal summaries: {}", e.toString());
        }
    }
}
