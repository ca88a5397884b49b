package dev.writ.ca.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.config.CaConfig.Webhook;
import dev.writ.ca.metrics.CaMetrics;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the configured webhooks in the background: one JSON POST per subscribed
 * receiver, retried with exponential backoff on a network error or a non-2xx answer, up to the
 * receiver's {@code max_attempts}. {@link #publish} never waits: at most
 * {@link Settings#capacity()} deliveries are in flight or waiting to retry, and an event beyond
 * that is dropped and counted, so a slow or dead receiver never delays an answer of the CA.
 */
public final class Webhooks implements Notifier, AutoCloseable {

    /**
     * @param capacity     deliveries in flight or waiting to retry, at most
     * @param firstBackoff wait before the second attempt; doubled for each further one
     * @param maxBackoff   the longest wait between attempts
     * @param timeout      for connecting and for the whole answer of one attempt
     */
    public record Settings(int capacity, Duration firstBackoff, Duration maxBackoff, Duration timeout) {
        public static final Settings DEFAULT = new Settings(1000, Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(5));
    }

    private record Delivery(Webhook hook, String event, byte[] body, int attempt) {
        Delivery next() {
            return new Delivery(hook, event, body, attempt + 1);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Webhook> hooks;
    private final Settings settings;
    private final CaMetrics metrics;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("writ-webhooks"));
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, daemon("writ-webhooks-http"));
    private final HttpClient http;
    private final AtomicInteger pending = new AtomicInteger();

    public Webhooks(List<Webhook> hooks, Settings settings, CaMetrics metrics) {
        this.hooks = List.copyOf(hooks);
        this.settings = settings;
        this.metrics = metrics;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).executor(httpThreads)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public void publish(String event, Object payload) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("webhook payload is not JSON: " + e.getOriginalMessage(), e);
        }
        for (Webhook hook : hooks) {
            if (hook.wants(event)) {
                enqueue(new Delivery(hook, event, body, 1));
            }
        }
    }

    /** Deliveries in flight or waiting to retry. */
    public int pending() {
        return pending.get();
    }

    private void enqueue(Delivery delivery) {
        if (pending.incrementAndGet() > settings.capacity()) {
            pending.decrementAndGet();
            dropped(delivery, "the webhook queue is full");
            return;
        }
        try {
            scheduler.execute(() -> attempt(delivery));
        } catch (RejectedExecutionException e) {
            finished(delivery, "dropped");
        }
    }

    private void attempt(Delivery d) {
        HttpRequest request = HttpRequest.newBuilder(d.hook().url()).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "writ-ca")
                .header("X-Writ-Event", d.event())
                .POST(HttpRequest.BodyPublishers.ofByteArray(d.body()))
                .build();
        try {
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> answered(d, response, error));
        } catch (RuntimeException e) {
            answered(d, null, e);
        }
    }

    private void answered(Delivery d, HttpResponse<Void> response, Throwable error) {
        if (error == null && response.statusCode() / 100 == 2) {
            finished(d, "delivered");
            return;
        }
        String why = error != null ? error.getClass().getSimpleName() : "HTTP " + response.statusCode();
        if (d.attempt() >= d.hook().maxAttempts()) {
            LOG.warn("webhook {} gave up on {} after {} attempts: {}", d.hook().safeName(), d.event(), d.attempt(), why);
            finished(d, "failed");
            return;
        }
        LOG.info("webhook {} attempt {} for {} failed ({}); retrying", d.hook().safeName(), d.attempt(), d.event(), why);
        try {
            scheduler.schedule(() -> attempt(d.next()), backoff(d.attempt()).toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            finished(d, "dropped");
        }
    }

    /** first, 2×first, 4×first, ... capped at the maximum. */
    Duration backoff(int failedAttempts) {
        Duration wait = settings.firstBackoff().multipliedBy(1L << Math.min(failedAttempts - 1, 20));
        return wait.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : wait;
    }

    private void dropped(Delivery d, String why) {
        LOG.warn("webhook {} dropped {}: {}", d.hook().safeName(), d.event(), why);
        metrics.webhook("dropped");
    }

    /** Counted before it leaves {@link #pending()}: nothing pending means every outcome is in the metrics. */
    private void finished(Delivery d, String outcome) {
        metrics.webhook(outcome);
        pending.decrementAndGet();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
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
