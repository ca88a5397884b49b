package dev.writ.bastion.bench;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.recording.Asciicast;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Bulk throughput through the bastion with its recorder off and on, beside OpenSSH's own
 * ProxyJump, in one run. The recorder is on or off by policy: the same bastion, the same target,
 * two engineers whose roles say {@code recording: off} and {@code recording: best_effort}.
 *
 * <p>Two kinds of channel, since the recorder keeps very different things for them:
 * <ul>
 *   <li><b>a command without a PTY</b> ({@code head -c N /dev/zero | ssh … cat | wc -c}, N bytes
 *   each way at once): recorded as events (the command, its exit status, byte counts), so what
 *   recording costs here is a counter per packet and a small file;</li>
 *   <li><b>a command with a PTY</b> ({@code ssh -tt … 'head -c N /dev/zero | base64'}): every byte
 *   the target prints goes into the asciicast spool as {@code o} events, is flushed, and is
 *   uploaded to the CA, which stores and indexes it. Base64 is text, so the terminal's line
 *   discipline changes nothing but {@code \n} into {@code \r\n}; the client counts what it got.</li>
 * </ul>
 *
 * <p>Each round runs every route once, each recorded route next to its unrecorded twin, the pair's
 * order alternating from round to round (off, on; on, off; ...), so that background load and
 * whatever the previous run left behind fall on both alike. After a recorded run the benchmark waits until the spool is
 * empty (the bastion deletes a file only when the CA has confirmed its digest) and checks that no
 * byte was lost, so that one run's upload does not load the next run's measurement. For the PTY
 * runs it also reads the recording the CA stored and checks that its output is every byte the
 * client received.
 */
final class Throughput {

    /** How long a recording may take to reach the CA after its channel closed. */
    static final long UPLOAD_WAIT_SECONDS = 600;

    /** One way to run a command on web01: OpenSSH's ProxyJump, or through the bastion with the recorder off or on. */
    record Route(String name, Function<String, List<String>> ssh, boolean recorded, java.util.function.LongSupplier cpuTicks,
                 String cpuOf) {
        Route(String name, Function<String, List<String>> ssh, boolean recorded) {
            this(name, ssh, recorded, () -> -1, "");
        }
    }

    /** What one kind of channel measures: the remote command, the shell around ssh, and the bytes the client must receive. */
    record Workload(String title, String unit, String remote, Function<String, String> shell, long expected) {

        static Workload exec(long bytes) {
            return new Workload("a command without a PTY: " + (bytes >> 20) + " MiB through `cat`, both directions at once",
                    "MiB/s each way", "cat", ssh -> "head -c " + bytes + " /dev/zero | " + ssh + " | wc -c", bytes);
        }

        /** {@code base64} wraps at 76 characters; the PTY turns every {@code \n} into {@code \r\n}. */
        static Workload pty(long bytes) {
            long characters = 4 * ((bytes + 2) / 3);
            long lines = (characters + 75) / 76;
            return new Workload("a command with a PTY (`ssh -tt`): base64 of " + (bytes >> 20) + " MiB printed by the target",
                    "MiB/s of terminal output received", "head -c " + bytes + " /dev/zero | base64",
                    ssh -> ssh + " < /dev/null | wc -c", characters + 2 * lines);
        }
    }

    private final BastionBenchmark.Bastion bastion;
    private final TestCa ca;
    private final String recordedIdentity;

    Throughput(BastionBenchmark.Bastion bastion, TestCa ca, String recordedIdentity) {
        this.bastion = bastion;
        this.ca = ca;
        this.recordedIdentity = recordedIdentity;
    }

    /** A warm-up run per route (not counted), then {@code rounds} rounds; prints a Markdown table. */
    void measure(Workload workload, Workload warmUp, List<Route> routes, int rounds) throws Exception {
        System.out.printf("%n## Throughput, %s; %d rounds%n", workload.title(), rounds);
        System.out.printf("load before: %s%n", BastionBenchmark.load());
        for (Route route : routes) {
            once(warmUp, route);
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        List<Double> uploadSeconds = new ArrayList<>();
        List<Long> recordingSizes = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (Route route : order(routes, round)) {
                Run run = once(workload, route);
                rates.computeIfAbsent(route.name(), k -> new ArrayList<>()).add(run.rate());
                if (run.cpuSecondsPerGib() >= 0) {
                    cpu.computeIfAbsent(route.name(), k -> new ArrayList<>()).add(run.cpuSecondsPerGib());
                }
                if (run.uploadSeconds() >= 0) {
                    uploadSeconds.add(run.uploadSeconds());
                }
                if (run.recordingSize() > 0) {
                    recordingSizes.add(run.recordingSize());
                }
            }
        }
        System.out.printf("load after: %s%n", BastionBenchmark.load());
        report(workload, routes, rates, cpu);
        if (!uploadSeconds.isEmpty()) {
            System.out.printf(Locale.ROOT, "recorded runs: from the channel's end to the CA's confirmation, median %.1f s"
                            + " (%.1f – %.1f)%s; no byte lost%n", BastionBenchmark.median(uploadSeconds),
                    Collections.min(uploadSeconds), Collections.max(uploadSeconds), recordingSizes.isEmpty() ? ""
                            : String.format(Locale.ROOT, "; stored recording %.0f MiB, its output equal to what the client received",
                            recordingSizes.get(0) / 1048576.0));
        }
    }

    /** @param cpuSecondsPerGib CPU seconds of the relaying process (bastion or jump sshd) per GiB it relayed, both ways; -1: unknown */
    private record Run(double rate, double uploadSeconds, long recordingSize, double cpuSecondsPerGib) {
    }

    static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

    /** The routes in their order, but each recorded route before its unrecorded twin in odd rounds: off, on, on, off, ... */
    static List<Route> order(List<Route> routes, int round) {
        List<Route> order = new ArrayList<>(routes);
        if (round % 2 == 1) {
            for (int i = 0; i + 1 < order.size(); i++) {
                if (!order.get(i).recorded() && order.get(i + 1).recorded()) {
                    Collections.swap(order, i, i + 1);
                    i++;
                }
            }
        }
        return order;
    }

    private Run once(Workload workload, Route route) throws Exception {
        double lostBefore = lostBytes();
        long storedBefore = recordingsStored();
        String shell = workload.shell().apply(BastionBenchmark.quote(route.ssh().apply(workload.remote())));
        long ticksBefore = route.cpuTicks().getAsLong();
        long start = System.nanoTime();
        Processes.Result result = Processes.run(List.of("bash", "-c", shell), 1200);
        long end = System.nanoTime();
        Thread.sleep(300); // sshd's listener reaps the connection's processes (their CPU time joins its children's)
        long ticksAfter = route.cpuTicks().getAsLong();
        // the exec workload moves its bytes both ways: 2 × expected through the relay
        double relayedGib = workload.expected() * (workload.remote().equals("cat") ? 2.0 : 1.0) / (1L << 30);
        double cpuPerGib = ticksBefore < 0 || ticksAfter < 0 ? -1 : (ticksAfter - ticksBefore) / TICKS_PER_SECOND / relayedGib;
        if (result.exitCode() != 0 || !result.output().strip().equals(Long.toString(workload.expected()))) {
            throw new IllegalStateException(route.name() + ": expected " + workload.expected() + " bytes, got: " + result.output());
        }
        double rate = workload.expected() / ((end - start) / 1e9) / (1 << 20); // what the client received
        if (!route.recorded()) {
            return new Run(rate, -1, 0, cpuPerGib);
        }
        awaitEmptySpool(route);
        double uploadSeconds = (System.nanoTime() - end) / 1e9;
        double lost = lostBytes() - lostBefore;
        if (lost != 0) {
            throw new IllegalStateException(route.name() + ": the recorder lost " + (long) lost + " bytes");
        }
        if (recordingsStored() <= storedBefore) {
            throw new IllegalStateException(route.name() + ": no recording stored at the CA");
        }
        long size = workload.remote().equals("cat") ? 0 : checkStoredOutput(workload.expected());
        return new Run(rate, uploadSeconds, size, cpuPerGib);
    }

    /** Until every recording is confirmed by the CA; none may have been rejected. */
    private void awaitEmptySpool(Route route) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(UPLOAD_WAIT_SECONDS);
        while (true) {
            List<Path> waiting;
            try (Stream<Path> files = Files.list(bastion.spool)) {
                waiting = files.filter(f -> f.getFileName().toString().contains(".cast")).toList();
            }
            Path rejected = bastion.spool.resolve("rejected");
            if (Files.isDirectory(rejected)) {
                try (Stream<Path> files = Files.list(rejected)) {
                    if (files.findAny().isPresent()) {
                        throw new IllegalStateException(route.name() + ": the CA rejected a recording; see " + rejected);
                    }
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(route.name() + ": recordings not uploaded after " + UPLOAD_WAIT_SECONDS
                        + " s: " + waiting);
            }
            Thread.sleep(50);
        }
    }

    /** The latest terminal recording the CA stored: its {@code o} events must add up to what the client received. */
    private long checkStoredOutput(long expected) throws Exception {
        String file;
        long size;
        try (Connection sql = ca.sql(); PreparedStatement query = sql.prepareStatement(
                "SELECT file, size FROM recordings WHERE identity = ? ORDER BY seq DESC LIMIT 1")) {
            query.setString(1, recordedIdentity);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("no recording of " + recordedIdentity + " at the CA");
                }
                file = row.getString(1);
                size = row.getLong(2);
            }
        }
        long output = 0;
        // stored under the CA's recordings directory, beside its database by default
        try (BufferedReader lines = Files.newBufferedReader(ca.database().resolveSibling("recordings").resolve(file),
                StandardCharsets.UTF_8)) {
            Asciicast.parseHeader(lines.readLine());
            for (String line; (line = lines.readLine()) != null; ) {
                Asciicast.Event event = Asciicast.parseEvent(line);
                if (event.code().equals("o")) {
                    output += event.data().getBytes(StandardCharsets.UTF_8).length;
                }
            }
        }
        if (output != expected) {
            throw new IllegalStateException("the stored recording holds " + output + " bytes of output, the client received "
                    + expected);
        }
        return size;
    }

    private double lostBytes() throws Exception {
        String value = bastion.metric("writ_bastion_recording_bytes_lost_total");
        return value.equals("?") ? 0 : Double.parseDouble(value);
    }

    private long recordingsStored() throws Exception {
        try (Connection sql = ca.sql(); PreparedStatement query = sql.prepareStatement(
                "SELECT count(*) FROM recordings WHERE identity = ?")) {
            query.setString(1, recordedIdentity);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getLong(1) : 0;
            }
        }
    }

    /** Median and spread per route; against OpenSSH; and recorded against unrecorded, round by round. */
    private static void report(Workload workload, List<Route> routes, Map<String, List<Double>> rates,
                               Map<String, List<Double>> cpu) {
        List<Double> openSshRates = rates.get(routes.get(0).name());
        double openSsh = BastionBenchmark.median(openSshRates);
        System.out.printf("| route | %s, median | min – max | ÷ OpenSSH's, per round: median (min – max) | CPU s per GiB relayed"
                + " (median) | recording on ÷ off, per round: median (min – max) |%n", workload.unit());
        System.out.println("|---|---|---|---|---|---|");
        for (int i = 0; i < routes.size(); i++) {
            Route route = routes.get(i);
            List<Double> values = rates.get(route.name());
            String paired = "";
            if (route.recorded() && i > 0 && !routes.get(i - 1).recorded()) {
                List<Double> off = rates.get(routes.get(i - 1).name());
                List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < values.size(); r++) {
                    ratios.add(values.get(r) / off.get(r) * 100);
                }
                paired = String.format(Locale.ROOT, "%.0f%% (%.0f – %.0f%%)", BastionBenchmark.median(ratios),
                        Collections.min(ratios), Collections.max(ratios));
            }
            List<Double> vsOpenSsh = new ArrayList<>();
            for (int r = 0; r < values.size(); r++) {
                vsOpenSsh.add(values.get(r) / openSshRates.get(r) * 100);
            }
            List<Double> cpuValues = cpu.get(route.name());
            String cpuText = cpuValues == null ? "–" : String.format(Locale.ROOT, "%.2f (%s)", BastionBenchmark.median(cpuValues),
                    route.cpuOf());
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f – %.0f | %.0f%% (%.0f – %.0f%%) | %s | %s |%n", route.name(),
                    BastionBenchmark.median(values), Collections.min(values), Collections.max(values),
                    BastionBenchmark.median(vsOpenSsh), Collections.min(vsOpenSsh), Collections.max(vsOpenSsh), cpuText, paired);
        }
    }
}
