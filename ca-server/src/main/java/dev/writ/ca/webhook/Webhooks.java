package dev.writ.ca.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.config.CaConfig.Webhook;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.store.WebhookOutbox;
import dev.writ.ca.store.WebhookOutbox.Claimed;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the configured webhooks through the store's outbox: {@link #publish} writes
 * one row per subscribed receiver (durably, before it returns), and a delivery worker on every
 * replica claims due rows under a lease, POSTs each as JSON, deletes it once the receiver answers
 * 2xx, and otherwise makes it due again after an exponential backoff, up to the receiver's
 * {@code max_attempts}. Exactly one replica holds a row at a time; when a replica dies
 * mid-delivery its lease runs out and another delivers, so a receiver may see a delivery twice
 * (the same {@code X-Writ-Delivery} id) but never loses one. At most {@link Settings#capacity()}
 * deliveries wait; an event beyond that is dropped and counted, so a dead receiver never grows
 * the store without bound nor delays an answer of the CA.
 */
public final class Webhooks implements Notifier, AutoCloseable {

    /**
     * @param capacity     deliveries waiting in the outbox, at most
     * @param firstBackoff wait before the second attempt; doubled for each further one
     * @param maxBackoff   the longest wait between attempts
     * @param timeout      for connecting and for the whole answer of one attempt
     * @param lease        how long a claimed delivery is this replica's alone; longer than an attempt
     * @param poll         how often the worker looks for due deliveries
     */
    public record Settings(int capacity, Duration firstBackoff, Duration maxBackoff, Duration timeout, Duration lease,
                           Duration poll) {
        public static final Settings DEFAULT = new Settings(1000, Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(5));

        public Settings {
            if (lease.compareTo(timeout.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("a webhook lease must be at least twice the timeout");
            }
        }

        /** A lease of four timeouts, polled every 250 ms. */
        public Settings(int capacity, Duration firstBackoff, Duration maxBackoff, Duration timeout) {
            this(capacity, firstBackoff, maxBackoff, timeout, timeout.multipliedBy(4), Duration.ofMillis(250));
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Deliveries claimed by one poll, at most. */
    private static final int BATCH = 16;
    /** Deliveries this replica waits on, at most. */
    private static final int MAX_IN_FLIGHT = 64;

    private final Map<String, Webhook> hooks = new LinkedHashMap<>();
    private final Settings settings;
    private final CaMetrics metrics;
    private final WebhookOutbox outbox;
    private final Clock clock = Clock.systemUTC();
    private final String replica = UUID.randomUUID().toString();
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(daemon("writ-webhooks"));
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, daemon("writ-webhooks-http"));
    private final HttpClient http;

    /** Leases and backoff follow the system clock, which every replica shares, whatever clock the CA's decisions use. */
    public Webhooks(List<Webhook> hooks, Settings settings, CaMetrics metrics, WebhookOutbox outbox) {
        for (Webhook hook : hooks) {
            this.hooks.put(id(hook), hook);
        }
        this.settings = settings;
        this.metrics = metrics;
        this.outbox = outbox;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).executor(httpThreads)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        if (!this.hooks.isEmpty()) {
            long poll = settings.poll().toMillis();
            worker.scheduleWithFixedDelay(this::deliverDue, poll, poll, TimeUnit.MILLISECONDS);
        }
    }

    /** Stores the deliveries of the event; returns once they are committed (or dropped and counted). */
    @Override
    public void publish(String event, Object payload) {
        String body;
        try {
            body = JSON.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("webhook payload is not JSON: " + e.getOriginalMessage(), e);
        }
        List<WebhookOutbox.Delivery> deliveries = new ArrayList<>();
        hooks.forEach((id, hook) -> {
            if (hook.wants(event)) {
                deliveries.add(new WebhookOutbox.Delivery(id, event, body));
            }
        });
        if (deliveries.isEmpty()) {
            return;
        }
        int stored;
        try {
            stored = outbox.enqueue(deliveries, settings.capacity(), clock.instant());
        } catch (StoreException e) {
            LOG.warn("webhooks dropped {}: the outbox is unavailable ({})", event, e.getMessage());
            stored = 0;
        }
        for (int i = stored; i < deliveries.size(); i++) {
            LOG.warn("webhook {} dropped {}: the webhook outbox is full", hooks.get(deliveries.get(i).hook()).safeName(), event);
            metrics.webhook("dropped");
        }
    }

    /** Deliveries waiting in the outbox, on every replica's behalf. */
    public int pending() {
        try {
            return outbox.pending();
        } catch (StoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * One poll: claims due deliveries and starts them, without waiting for their answers (a slow
     * receiver holds only its own deliveries, each under its lease); at most {@link #MAX_IN_FLIGHT}.
     */
    private void deliverDue() {
        try {
            for (int round = 0; round < 8; round++) {
                int room = Math.min(BATCH, MAX_IN_FLIGHT - inFlight.get());
                if (room <= 0) {
                    return;
                }
                String claim = replica + "/" + claims.incrementAndGet();
                List<Claimed> due = outbox.claim(claim, hooks.keySet(), clock.instant(), settings.lease(), room);
                for (Claimed d : due) {
                    inFlight.incrementAndGet();
                    attempt(d, claim).whenComplete((done, error) -> inFlight.decrementAndGet());
                }
                if (due.size() < room) {
                    return;
                }
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("webhook delivery: {}", e.toString());
        }
    }

    private CompletableFuture<Void> attempt(Claimed d, String claim) {
        Webhook hook = hooks.get(d.hook());
        HttpRequest request = HttpRequest.newBuilder(hook.url()).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "writ-ca")
                .header("X-Writ-Event", d.event())
                .header("X-Writ-Delivery", Long.toString(d.id()))
                .POST(HttpRequest.BodyPublishers.ofString(d.body(), StandardCharsets.UTF_8))
                .build();
        try {
            return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .handle((response, error) -> {
                        answered(hook, d, claim, response, error);
                        return null;
                    });
        } catch (RuntimeException e) {
            answered(hook, d, claim, null, e);
            return CompletableFuture.completedFuture(null);
        }
    }

    private void answered(Webhook hook, Claimed d, String claim, HttpResponse<Void> response, Throwable error) {
        try {
            if (error == null && response.statusCode() / 100 == 2) {
                metrics.webhook("delivered"); // counted first: nothing pending means every outcome is counted
                outbox.delivered(d, claim);
                return;
            }
            String why = error != null ? error.getClass().getSimpleName() : "HTTP " + response.statusCode();
            if (d.attempt() >= hook.maxAttempts()) {
                LOG.warn("webhook {} gave up on {} after {} attempts: {}", hook.safeName(), d.event(), d.attempt(), why);
                metrics.webhook("failed");
                outbox.retryLater(d, claim, null, why);
                return;
            }
            LOG.info("webhook {} attempt {} for {} failed ({}); retrying", hook.safeName(), d.attempt(), d.event(), why);
            outbox.retryLater(d, claim, clock.instant().plus(backoff(d.attempt())), why);
        } catch (StoreException e) {
            // the lease runs out and the delivery is made again, here or at another replica
            LOG.warn("webhook {}: cannot record the outcome of {}: {}", hook.safeName(), d.event(), e.getMessage());
        }
    }

    /** first, 2×first, 4×first, ... capped at the maximum. */
    Duration backoff(int failedAttempts) {
        Duration wait = settings.firstBackoff().multipliedBy(1L << Math.min(failedAttempts - 1, 20));
        return wait.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : wait;
    }

    /** The outbox's name for a receiver: a digest of its URL, alike on every replica with the same config. */
    static String id(Webhook hook) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(hook.url().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops delivering; what is claimed and not answered is delivered again once its lease runs out. */
    @Override
    public void close() {
        worker.shutdownNow();
        httpThreads.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
