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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two CA replicas' webhook workers on one database: each event delivered once, and a crashed replica's delivery made by the other. */
class WebhookOutboxTest {

    @TempDir
    Path dir;
    HttpServer server;
    /** "delivery-id event body" of every request the receiver answered 200. */
    final List<String> accepted = new CopyOnWriteArrayList<>();
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicBoolean hangFirst = new AtomicBoolean();
    final CountDownLatch release = new CountDownLatch(1);
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void receiver() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/hook", exchange -> {
            String line = exchange.getRequestHeaders().getFirst("X-Writ-Delivery") + " "
                    + exchange.getRequestHeaders().getFirst("X-Writ-Event") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(line);
            if (hangFirst.getAndSet(false)) {
                try {
                    release.await(30, TimeUnit.SECONDS); // the replica that sent it dies meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            accepted.add(line);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        server.stop(0);
    }

    Webhooks replica(Webhooks.Settings settings) throws Exception {
        Store store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
        open.add(store);
        Webhook hook = new Webhook(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook"), null, 5);
        Webhooks webhooks = new Webhooks(List.of(hook), settings, new CaMetrics(), store.webhookOutbox());
        open.add(webhooks);
        return webhooks;
    }

    @Test
    void twoReplicasDeliverEveryEventOnce() throws Exception {
        Webhooks.Settings settings = new Webhooks.Settings(1000, Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofMillis(20));
        Webhooks a = replica(settings);
        Webhooks b = replica(settings);
        for (int i = 0; i < 20; i++) {
            (i % 2 == 0 ? a : b).publish("request.created", Map.of("n", i));
        }
        WebhooksTest.await(() -> accepted.size() >= 20 && a.pending() == 0);
        Thread.sleep(300); // both workers keep polling: a second delivery would show now
        assertEquals(20, accepted.size(), "each event delivered once: " + accepted);
        assertEquals(20, seen.size());
        assertEquals(20, new HashSet<>(accepted.stream().map(line -> line.substring(line.indexOf(' ') + 1)).toList()).size());
    }

    @Test
    void aReplicaThatDiesMidDeliveryLeavesItToAnotherOnceTheLeaseRunsOut() throws Exception {
        Webhooks.Settings settings = new Webhooks.Settings(1000, Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofMillis(50));
        hangFirst.set(true);
        Webhooks a = replica(settings);
        a.publish("break_glass", Map.of("n", 1));
        WebhooksTest.await(() -> seen.size() == 1);
        long died = System.nanoTime();
        a.close(); // dies holding the lease, without recording anything
        Webhooks b = replica(settings);
        WebhooksTest.await(() -> accepted.size() == 1, Duration.ofSeconds(20));
        long waited = System.nanoTime() - died;
        assertTrue(waited > Duration.ofSeconds(3).toNanos(), "the other replica waited for the lease: " + waited);
        assertEquals(seen.get(0), accepted.get(0), "the same delivery, made again");
        WebhooksTest.await(() -> b.pending() == 0);
        assertEquals(2, seen.size());
    }
}
