package dev.writ.ca.keys;

import dev.writ.ca.store.Store;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Re-reads the key table every few seconds, so rotation steps reach a running CA and every replica. */
public final class KeyRefresher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyRefresher.class);
    private final ScheduledExecutorService timer;

    private KeyRefresher(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    public static KeyRefresher start(KeyRotation rotation, Store store, Duration every) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "writ-ca-keys");
            thread.setDaemon(true);
            return thread;
        });
        long millis = every.toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                rotation.refresh();
                rotation.auditSteps(store);
            } catch (Exception e) {
                LOG.warn("cannot apply the CA key table (the keys in use stay): {}", e.getMessage());
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
        return new KeyRefresher(timer);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
