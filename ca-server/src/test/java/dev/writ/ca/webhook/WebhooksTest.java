package dev.writ.ca.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.writ.ca.config.CaConfig.Webhook;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.store.Store;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhooksTest {

    static final Webhooks.Settings FAST = new Webhooks.Settings(100, Duration.ofMillis(20), Duration.ofMillis(200),
            Duration.ofSeconds(2));

    HttpServer server;
    final AtomicInteger failuresLeft = new AtomicInteger();
    final AtomicInteger attempts = new AtomicInteger();
    final List<String> received = new CopyOnWriteArrayList<>();
    final CaMetrics metrics = new CaMetrics();
    Webhooks webhooks;
    @TempDir
    Path dir;
    Store store;

    @BeforeEach
    void start() throws Exception {
        store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            attempts.incrementAndGet();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (failuresLeft.getAndDecrement() > 0) {
                exchange.sendResponseHeaders(503, -1);
            } else {
                received.add(exchange.getRequestHeaders().getFirst("X-Writ-Event") + " " + body);
                exchange.sendResponseHeaders(200, -1);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (webhooks != null) {
            webhooks.close();
        }
        server.stop(0);
        store.close();
    }

    Webhook hook(List<String> events, int maxAttempts) {
        return new Webhook(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook"), events, maxAttempts);
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        await(condition, Duration.ofSeconds(10));
    }

    static void await(BooleanSupplier condition, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }

    @Test
    void retriesWithBackoffUntilTheReceiverAccepts() throws Exception {
        failuresLeft.set(2);
        webhooks = new Webhooks(List.of(hook(null, 5)), FAST, metrics, store.webhookOutbox());
        webhooks.publish("break_glass", Map.of("event", "break_glass"));
        await(() -> received.size() == 1);
        assertEquals("break_glass {\"event\":\"break_glass\"}", received.get(0));
        assertEquals(3, attempts.get());
        await(() -> webhooks.pending() == 0);
        assertTrue(metrics.scrape().contains("writ_webhook_deliveries_total{outcome=\"delivered\"} 1.0"));
    }

    @Test
    void givesUpAfterMaxAttempts() throws Exception {
        failuresLeft.set(100);
        webhooks = new Webhooks(List.of(hook(null, 3)), FAST, metrics, store.webhookOutbox());
        webhooks.publish("request.created", Map.of());
        await(() -> webhooks.pending() == 0);
        assertEquals(3, attempts.get());
        assertTrue(metrics.scrape().contains("writ_webhook_deliveries_total{outcome=\"failed\"} 1.0"));
    }

    @Test
    void sendsOnlyTheEventsAReceiverSubscribedTo() throws Exception {
        webhooks = new Webhooks(List.of(hook(List.of("request.denied"), 1)), FAST, metrics, store.webhookOutbox());
        webhooks.publish("request.created", Map.of("n", 1));
        webhooks.publish("request.denied", Map.of("n", 2));
        await(() -> received.size() == 1);
        Thread.sleep(100);
        assertEquals(List.of("request.denied {\"n\":2}"), received);
    }

    @Test
    void dropsWhatDoesNotFitInsteadOfWaiting() throws Exception {
        failuresLeft.set(1000);
        Webhooks.Settings tiny = new Webhooks.Settings(2, Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(2));
        webhooks = new Webhooks(List.of(hook(null, 5)), tiny, metrics, store.webhookOutbox());
        long started = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            webhooks.publish("request.created", Map.of("n", i));
        }
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(1).toNanos());
        assertEquals(2, webhooks.pending());
        assertTrue(metrics.scrape().contains("writ_webhook_deliveries_total{outcome=\"dropped\"} 8.0"));
    }

    @Test
    void backsOffExponentiallyUpToTheMaximum() {
        webhooks = new Webhooks(List.of(), new Webhooks.Settings(1, Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofSeconds(1)), metrics, store.webhookOutbox());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8),
                Duration.ofSeconds(10)), List.of(webhooks.backoff(1), webhooks.backoff(2), webhooks.backoff(3),
                webhooks.backoff(4), webhooks.backoff(5)));
    }
}
