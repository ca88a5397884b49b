package dev.writ.bastion.bench;

import dev.writ.bastion.audit.AuditSpool;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.api.BastionAuditEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What the audit spool's fsync per event costs a login: the time {@link AuditSpool#append} takes
 * (write + fdatasync of one line, on the session's thread), alone and with logins arriving on
 * several threads at once. The spool lives under {@code --dir} (default: a new directory under
 * the working directory, so on the disk a bastion would use, not a tmpfs).
 *
 * <pre>
 * AuditSpoolBenchmark [--events 2000] [--threads 16] [--dir DIR]
 * </pre>
 */
public final class AuditSpoolBenchmark {

    private AuditSpoolBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = 2000;
        int threads = 16;
        Path dir = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--events" -> events = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--dir" -> dir = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        dir = dir != null ? dir : Files.createTempDirectory(Path.of("."), "audit-spool-bench");
        BastionAuditEvent event = new BastionAuditEvent("session.started", "ok", "alice@example.com", "192.0.2.7", null,
                Map.of("session_id", "3f1c9a7e2b", "kind", "direct", "serial", "1234567890123456789", "login", "alice",
                        "target", "web01"));
        try (AuditSpool spool = AuditSpool.open(dir.resolve("one"), "bench", 1L << 30, new BastionMetrics(), Clock.systemUTC())) {
            report("1 thread", time(spool, event, events, 1), events);
        }
        try (AuditSpool spool = AuditSpool.open(dir.resolve("many"), "bench", 1L << 30, new BastionMetrics(),
                Clock.systemUTC())) {
            report(threads + " threads", time(spool, event, events, threads), events);
        }
    }

    /** Appends {@code events} events from {@code threads} threads; returns each append's nanoseconds and the wall time last. */
    private static List<Long> time(AuditSpool spool, BastionAuditEvent event, int events, int threads) throws Exception {
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = events / threads + (t < events % threads ? 1 : 0);
            done.add(pool.submit(() -> {
                for (int i = 0; i < share; i++) {
                    long before = System.nanoTime();
                    spool.append(event);
                    nanos.add(System.nanoTime() - before);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        long wall = System.nanoTime() - start;
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        sorted.add(wall);
        return sorted;
    }

    private static void report(String label, List<Long> sorted, int events) {
        long wall = sorted.remove(sorted.size() - 1);
        System.out.printf("%-10s %d appends: p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f events/s%n", label, events,
                sorted.get(sorted.size() / 2) / 1e6, sorted.get(sorted.size() * 99 / 100) / 1e6,
                sorted.get(sorted.size() - 1) / 1e6, events / (wall / 1e9));
    }
}
