package dev.writ.agent.bench;

import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.keys.AuditKeyFile;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.AuditRecord;
import dev.writ.protocol.audit.EvidenceBundle;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * How long {@code writ audit verify --bundle} takes over an evidence bundle of N events (default
 * 1,000,000) with a checkpoint every 1000, as a CA with the default {@code audit:} settings signs
 * them: the bundle is written first (events shaped like {@code cert.issued}, a real audit key
 * generated as the CA generates it), then verified offline through the command line, in-process,
 * {@code runs} times (default 3), each timed on the wall clock and in CPU time of the verifying
 * thread (the second is what a loaded machine does not distort). Run with {@code ./dev bench audit-verify [events] [runs]}.
 */
public final class AuditBundleBenchmark {

    private AuditBundleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("writ-audit-bench");
        try {
            Path bundle = dir.resolve("bundle.ndjson");
            long written = System.nanoTime();
            write(bundle, events, AuditKeyFile.loadOrCreate(dir.resolve("keys"), null));
            System.out.printf("wrote %,d events (%,d MB) in %.1f s%n", events, Files.size(bundle) >> 20,
                    (System.nanoTime() - written) / 1e9);
            TestEnv auditor = TestEnv.in(dir.resolve("auditor"));
            List<Double> seconds = new ArrayList<>();
            List<Double> cpuSeconds = new ArrayList<>();
            var threads = ManagementFactory.getThreadMXBean();
            for (int run = 0; run < runs; run++) {
                long start = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                Result result = auditor.run("audit", "verify", "--bundle", bundle.toString());
                seconds.add((System.nanoTime() - start) / 1e9);
                cpuSeconds.add((threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
                if (result.exit() != 0) {
                    throw new IllegalStateException("verification failed: " + result);
                }
                System.out.print(result.out());
                System.out.printf("run %d: %.2f s (%.2f s of CPU on the verifying thread)%n", run + 1, seconds.get(run),
                        cpuSeconds.get(run));
            }
            System.out.printf("writ audit verify --bundle, %,d events: wall %s s, CPU %s s (Java %s, %d cores, %s,"
                            + " load average %.1f)%n", events, format(seconds), format(cpuSeconds),
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.arch"), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<String> format(List<Double> seconds) {
        return seconds.stream().map(s -> String.format("%.2f", s)).toList();
    }

    private static void write(Path file, int events, AuditKeyFile key) throws Exception {
        String keyId = PublicKeys.fingerprint(key.publicKey());
        Instant t0 = Instant.parse("2026-11-18T09:00:00Z");
        // the checkpoints come before the events in a bundle: the chain is computed twice, once for them
        List<AuditCheckpoint> checkpoints = new ArrayList<>();
        String prev = AuditChain.GENESIS;
        for (long seq = 1; seq <= events; seq++) {
            AuditRecord event = event(seq, t0, prev);
            prev = event.hash();
            if (seq % 1000 == 0 || seq == events) {
                Instant at = event.at().plusSeconds(1);
                byte[] signature = key.sign(AuditCheckpoint.statement(seq, prev, at, keyId));
                checkpoints.add(new AuditCheckpoint(seq, prev, at, keyId, Base64.getEncoder().encodeToString(signature)));
            }
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            var header = new EvidenceBundle.Header(EvidenceBundle.FORMAT, "https://ca.example.com", Instant.now().toString(),
                    null, null, 1, events, AuditChain.GENESIS, PublicKeys.toLine(key.publicKey()), keyId);
            var bundle = new EvidenceBundle.Output(out, header);
            for (AuditCheckpoint checkpoint : checkpoints) {
                bundle.checkpoint(checkpoint);
            }
            prev = AuditChain.GENESIS;
            for (long seq = 1; seq <= events; seq++) {
                AuditRecord event = event(seq, t0, prev);
                bundle.event(event);
                prev = event.hash();
            }
            bundle.end();
        }
    }

    /** Event {@code seq}: a user certificate issued to one of 500 engineers, with the details the CA stores. */
    private static AuditRecord event(long seq, Instant t0, String prev) {
        Instant at = t0.plusMillis(seq * 250);
        String who = "engineer" + (seq % 500) + "@example.com";
        String details = "{\"key_fingerprint\":\"SHA256:" + Long.toHexString(seq * 0x9E3779B97F4A7C15L)
                + "\",\"principals\":[\"engineer" + (seq % 500) + "\"],\"roles\":[\"engineers\"],\"serial\":" + seq
                + ",\"valid_before\":\"" + at.plusSeconds(28_800) + "\"}";
        String hash = AuditChain.hash(prev, seq, at.toEpochMilli(), "cert.issued", who, "ok", "10.0.0." + (seq % 250), details);
        return new AuditRecord(seq, at, "cert.issued", who, "ok", "10.0.0." + (seq % 250), details, prev, hash);
    }
}
