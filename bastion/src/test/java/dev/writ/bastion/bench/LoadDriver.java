package dev.writ.bastion.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.recording.Asciicast;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Issue 14's load run: N recorded sessions held at once through one bastion while user
 * certificates are issued, then every end checked. The bastion runs in a JVM of its own
 * ({@code -Xmx1g}, so its heap and RSS are its own); the CA runs in this JVM; the target is a
 * {@link LoadTarget}; every session is a MINA client (a thousand OpenSSH processes would measure
 * process spawning on two cores, not the bastion).
 *
 * <ol>
 *   <li>Sessions open at {@code rate} a second, each {@code hold TOKEN} in an exec channel with a
 *       PTY (a terminal recording); setup is timed from when the session was due, so a bastion
 *       that falls behind shows in the percentiles.</li>
 *   <li>Meanwhile another thread asks the CA for user certificates at {@code userRate} a second.</li>
 *   <li>Once every session is open, the bastion's heap after a full GC is read, the target lets
 *       the sessions go, and each prints {@code done TOKEN} after {@code hold} and exits 0.</li>
 *   <li>Checked: every session's exit status and output; one recording a session at the CA, each
 *       ending with its {@code closed} marker and holding its token; an audit record for every user
 *       certificate, every session certificate and every session's start and end; heap and RSS
 *       under their bounds.</li>
 * </ol>
 *
 * <pre>
 * ./dev load 1000 [--rate 20] [--hold 5] [--user-rate 10] [--max-heap-mb 512] [--max-rss-mb 1536]
 * </pre>
 */
public final class LoadDriver {

    static final String LOGIN = "load";
    static final String TARGET = "load01";
    /** Sessions run one at a time before the measured ones, and checked like them. */
    static final int WARM_UP = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String POLICY = """
            roles:
              - name: load
                match: { groups: [load] }
                principals: ["%s"]
                targets: [ { hosts: ["load*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
                recording: best_effort
            """.formatted(LOGIN);

    /** What to run; {@code hold} is how long sessions stay open once all are. */
    public record Options(int sessions, double rate, Duration hold, double userRate, long maxHeapMb, long maxRssMb) {
        static Options parse(String[] args) {
            Map<String, String> o = BastionBenchmark.options(args.length % 2 == 1 ? java.util.Arrays.copyOfRange(args, 1, args.length) : args);
            int sessions = args.length % 2 == 1 ? Integer.parseInt(args[0]) : Integer.parseInt(o.getOrDefault("sessions", "200"));
            return new Options(sessions, Double.parseDouble(o.getOrDefault("rate", "20")),
                    Duration.ofSeconds(Long.parseLong(o.getOrDefault("hold", "5"))), Double.parseDouble(o.getOrDefault("user-rate", "10")),
                    Long.parseLong(o.getOrDefault("max-heap-mb", "512")), Long.parseLong(o.getOrDefault("max-rss-mb", "1536")));
        }
    }

    /** What the run measured, and every check that failed (none: the run passed). */
    public record Report(Options options, int completed, List<Double> setupMs, List<Double> userCertMs, Map<String, Double> caSessionMs,
                         Map<String, Double> caUserMs, Map<String, Double> upstreamMs, long heapAfterGcOpen, long heapAfterGcEnd, long maxRss, double maxActive,
                         double seconds, String loadBefore, String loadAfter, List<String> failures) {
        public String summary() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "## writ load: %d sessions at %.0f/s, held %d s once all are open; user certificates at %.0f/s%n",
                    options.sessions(), options.rate(), options.hold().toSeconds(), options.userRate()));
            s.append(String.format(Locale.ROOT, "%d of %d sessions ran to their end; peak writ_bastion_sessions_active %.0f; %.0f s in all%n",
                    completed, options.sessions(), maxActive, seconds));
            s.append(String.format(Locale.ROOT, "setup (connect, auth, channel open), ms: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f%n",
                    pct(setupMs, 50), pct(setupMs, 90), pct(setupMs, 99), pct(setupMs, 100)));
            s.append(String.format(Locale.ROOT, "user certificates: %d issued, client ms p50 %.0f, p90 %.0f, p99 %.0f, max %.0f%n",
                    userCertMs.size(), pct(userCertMs, 50), pct(userCertMs, 90), pct(userCertMs, 99), pct(userCertMs, 100)));
            s.append("at the CA (writ_issuance_seconds bucket bounds), ms: session " + caSessionMs + ", user " + caUserMs + "\n");
            s.append("at the bastion, login to logged in at the target, session certificate included"
                    + " (writ_bastion_upstream_connect_seconds bucket bounds), ms: " + upstreamMs + "\n");
            s.append(String.format(Locale.ROOT, "bastion (-Xmx1g): heap after GC %.0f MiB with every session open, %.0f MiB after;"
                    + " max RSS %.0f MiB (bounds %d and %d MiB)%n", heapAfterGcOpen / 1048576.0, heapAfterGcEnd / 1048576.0,
                    maxRss / 1048576.0, options.maxHeapMb(), options.maxRssMb()));
            s.append("load average before: " + loadBefore + ", after: " + loadAfter + " (" + Runtime.getRuntime().availableProcessors()
                    + " cores)\n");
            s.append(failures.isEmpty() ? "every check passed\n" : "FAILED:\n  " + String.join("\n  ", failures) + "\n");
            return s.toString();
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Report report = run(Files.createTempDirectory("writ-load"), options);
        System.out.print(report.summary());
        System.exit(report.failures().isEmpty() ? 0 : 1); // the OIDC test issuer leaves threads behind
    }

    public static Report run(Path dir, Options options) throws Exception {
        String loadBefore = BastionBenchmark.load();
        long begin = System.nanoTime();
        try (TestIdp idp = new TestIdp()) {
            String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
            try (TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                    RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "load*")) + TestCa.NO_RATE_LIMITS);
                 LoadTarget target = LoadTarget.start(dir.resolve("target"), ca, TARGET, options.hold());
                 BastionBenchmark.Bastion bastion = BastionBenchmark.Bastion.start(dir.resolve("bastion"), List.of(
                         Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                         "-cp", System.getProperty("java.class.path"), "dev.writ.bastion.Main"), ca.url(), """
                           - name: %s
                             address: 127.0.0.1:%d
                         """.formatted(TARGET, target.port()))) {
                return new Run(dir, options, idp, ca, target, bastion, loadBefore, begin).call();
            }
        }
    }

    /** One run, with what it collects as it goes. */
    private static final class Run {
        final Path dir;
        final Options options;
        final TestIdp idp;
        final TestCa ca;
        final LoadTarget target;
        final BastionBenchmark.Bastion bastion;
        final String loadBefore;
        final long begin;
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final List<Double> setupMs = Collections.synchronizedList(new ArrayList<>());
        final List<Double> userCertMs = Collections.synchronizedList(new ArrayList<>());
        final Set<String> userSerials = Collections.synchronizedSet(new HashSet<>());
        final AtomicLong maxRss = new AtomicLong();
        final AtomicLong maxActive = new AtomicLong();
        final AtomicInteger completed = new AtomicInteger();

        Run(Path dir, Options options, TestIdp idp, TestCa ca, LoadTarget target, BastionBenchmark.Bastion bastion, String loadBefore,
            long begin) {
            this.dir = dir;
            this.options = options;
            this.idp = idp;
            this.ca = ca;
            this.target = target;
            this.bastion = bastion;
            this.loadBefore = loadBefore;
            this.begin = begin;
        }

        Report call() throws Exception {
            int n = options.sessions();
            Engineer engineer = Engineer.login(dir.resolve("engineer"), ca, idp.idToken("load@example.com", List.of("load")), "");
            KeyPair identity = identity(engineer);
            String userToken = idp.idToken("issuer-load@example.com", List.of("load"));
            ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
            ExecutorService openers = Executors.newFixedThreadPool(128); // more than a slow second of logins at 20/s
            ExecutorService issuers = Executors.newFixedThreadPool(4);
            SshClient client = SshClient.setUpDefaultClient();
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            // OpenSSH 10's first choice; MINA's own (sntrup761x25519) makes the client generate a Streamlined NTRU
            // Prime key pair in Java for every session, which costs this JVM more than the bastion's whole login
            client.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false,
                    List.of(BuiltinDHFactories.mlkem768x25519, BuiltinDHFactories.curve25519), ClientBuilder.DH2KEX));
            CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
            client.start();
            long heapOpen;
            try {
                clock.scheduleAtFixedRate(this::sample, 0, 500, TimeUnit.MILLISECONDS);
                long periodNanos = (long) (1e9 / options.userRate());
                clock.scheduleAtFixedRate(() -> {
                    long due = System.nanoTime();
                    issuers.submit(() -> issueUserCertificate(userToken, due));
                }, 0, periodNanos, TimeUnit.NANOSECONDS);

                // a few sessions one after another first, so that the percentiles measure the bastion and not two cold JVMs
                for (int i = 0; i < WARM_UP; i++) {
                    CompletableFuture<ChannelExec> open = new CompletableFuture<>();
                    CompletableFuture<Void> end = new CompletableFuture<>();
                    open(client, identity, "echo w" + i, System.nanoTime(), open, end);
                    end.get(2, TimeUnit.MINUTES);
                }
                setupMs.clear();
                completed.set(0);

                // sessions open at a steady rate, each timed from when it was due
                long start = System.nanoTime();
                List<CompletableFuture<ChannelExec>> opened = new ArrayList<>();
                List<CompletableFuture<Void>> ended = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String token = "s" + i;
                    long due = start + (long) (i * 1e9 / options.rate());
                    CompletableFuture<ChannelExec> open = new CompletableFuture<>();
                    CompletableFuture<Void> end = new CompletableFuture<>();
                    opened.add(open);
                    ended.add(end);
                    clock.schedule(() -> openers.submit(() -> open(client, identity, "hold " + token, due, open, end)),
                            Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                waitFor("every session to open", () -> opened.stream().allMatch(CompletableFuture::isDone),
                        Duration.ofSeconds((long) (n / options.rate()) + 120));
                heapOpen = bastion.heapAfterGc();
                target.release();
                waitFor("every session to end", () -> ended.stream().allMatch(CompletableFuture::isDone),
                        options.hold().plusSeconds(120));
            } finally {
                clock.shutdownNow();
                issuers.shutdown();
                issuers.awaitTermination(30, TimeUnit.SECONDS);
                openers.shutdownNow();
                client.stop();
            }
            checkAuditAndRecordings();
            sample();
            long heapEnd = bastion.heapAfterGc();
            if (heapOpen > options.maxHeapMb() << 20) {
                failures.add(String.format(Locale.ROOT, "bastion heap after GC with every session open: %.0f MiB, over %d MiB",
                        heapOpen / 1048576.0, options.maxHeapMb()));
            }
            if (maxRss.get() > options.maxRssMb() << 20) {
                failures.add(String.format(Locale.ROOT, "bastion RSS reached %.0f MiB, over %d MiB", maxRss.get() / 1048576.0,
                        options.maxRssMb()));
            }
            String metrics = ca.get("/metrics").body();
            String kind = "writ_issuance_seconds_bucket{kind=\"%s\",le=\"";
            return new Report(options, completed.get(), List.copyOf(setupMs), List.copyOf(userCertMs),
                    percentiles(metrics, kind.formatted("session")), percentiles(metrics, kind.formatted("user")),
                    percentiles(bastion.metrics(), "writ_bastion_upstream_connect_seconds_bucket{le=\""), heapOpen, heapEnd, maxRss.get(), maxActive.get(),
                    (System.nanoTime() - begin) / 1e9, loadBefore, BastionBenchmark.load(), List.copyOf(failures));
        }

        /** Connect, authenticate, open {@code command} ({@code hold TOKEN}, {@code echo TOKEN}) with a PTY; then, without a thread, wait for its end. */
        private void open(SshClient client, KeyPair identity, String command, long due, CompletableFuture<ChannelExec> open,
                          CompletableFuture<Void> end) {
            String token = command.substring(command.indexOf(' ') + 1);
            try {
                ClientSession session = client.connect(LOGIN + "@" + TARGET, "127.0.0.1", bastion.port)
                        .verify(Duration.ofSeconds(60)).getSession();
                session.addPublicKeyIdentity(identity);
                session.auth().verify(Duration.ofSeconds(60));
                ChannelExec exec = session.createExecChannel(command);
                exec.setUsePty(true);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                exec.setOut(out);
                exec.setErr(out);
                exec.open().verify(Duration.ofSeconds(60));
                setupMs.add((System.nanoTime() - due) / 1e6);
                exec.addCloseFutureListener(closed -> {
                    String output = out.toString(StandardCharsets.UTF_8);
                    Integer status = exec.getExitStatus();
                    if (status == null || status != 0 || !output.contains("done " + token)) {
                        failures.add("session " + token + " ended with status " + status + " and output '" + output.strip() + "'");
                    } else {
                        completed.incrementAndGet();
                    }
                    session.close(true);
                    end.complete(null);
                });
                open.complete(exec);
            } catch (Exception e) {
                failures.add("session " + token + " did not open: " + e);
                open.complete(null);
                end.complete(null);
            }
        }

        private void issueUserCertificate(String idToken, long due) {
            try {
                KeyPair key = org.apache.sshd.common.config.keys.KeyUtils.generateKeyPair("ssh-ed25519", 256);
                var response = ca.post("/v1/certs/user", idToken, "{\"public_key\":"
                        + JSON.writeValueAsString(PublicKeyEntry.toString(key.getPublic())) + "}");
                if (response.statusCode() != 201) {
                    failures.add("user certificate refused: " + response.statusCode());
                    return;
                }
                userCertMs.add((System.nanoTime() - due) / 1e6);
                userSerials.add(JSON.readTree(response.body()).path("serial").asText());
            } catch (Exception e) {
                failures.add("user certificate failed: " + e);
            }
        }

        /** The bastion's RSS and active sessions, kept at their highest. */
        private void sample() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + bastion.process.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        long kib = Long.parseLong(line.replaceAll("\\D", ""));
                        maxRss.accumulateAndGet(kib * 1024, Math::max);
                    }
                }
                String active = bastion.metric("writ_bastion_sessions_active");
                if (!active.equals("?")) {
                    maxActive.accumulateAndGet((long) Double.parseDouble(active), Math::max);
                }
            } catch (Exception gone) {
                // the bastion may be between answers; the next sample counts
            }
        }

        /**
         * Waits (at most two minutes) for the bastion's audit spool to drain and the recordings to
         * arrive, then matches the CA's records against what the run did.
         */
        private void checkAuditAndRecordings() throws Exception {
            int n = options.sessions() + WARM_UP;
            int opened = setupMs.size() + WARM_UP;
            try {
                waitFor("the audit spool to drain and every recording to arrive", () -> {
                    try {
                        return sessionIds("bastion.session.ended").size() >= opened && recordings().size() >= opened
                                && bastion.metric("writ_bastion_audit_events_pending").equals("0.0");
                    } catch (Exception e) {
                        return false;
                    }
                }, Duration.ofSeconds(120));
            } catch (IllegalStateException late) {
                failures.add(late.getMessage());
            }
            Set<String> started = sessionIds("bastion.session.started");
            Set<String> ended = sessionIds("bastion.session.ended");
            Set<String> sessionCertificates = sessionCertificateIds();
            Map<String, String> recordings = recordings();
            expect("sessions started in the audit log", started.size(), n);
            expect("sessions ended in the audit log", ended.size(), n);
            expect("session certificates in the audit log", sessionCertificates.size(), n);
            expect("recordings at the CA", recordings.size(), n);
            if (!started.equals(ended) || !started.equals(sessionCertificates) || !started.equals(recordings.keySet())) {
                failures.add("the session ids of the audit starts, ends, session certificates and recordings differ");
            }
            Set<String> tokens = new HashSet<>();
            for (String file : recordings.values()) {
                checkRecording(file, tokens);
            }
            expect("recordings holding their session's output", tokens.size(), n);
            Set<String> audited = userCertificateSerials();
            Set<String> missing = new HashSet<>(userSerials);
            missing.removeAll(audited);
            if (userSerials.isEmpty() || !missing.isEmpty()) {
                failures.add(missing.size() + " of " + userSerials.size() + " user certificates without a certificate.issued event");
            }
        }

        /** A complete recording: a header, the token in its output, and the {@code closed} marker last. */
        private void checkRecording(String file, Set<String> tokens) throws Exception {
            Asciicast.Event last = null;
            StringBuilder output = new StringBuilder();
            try (BufferedReader lines = Files.newBufferedReader(ca.database().resolveSibling("recordings").resolve(file),
                    StandardCharsets.UTF_8)) {
                Asciicast.parseHeader(lines.readLine());
                for (String line; (line = lines.readLine()) != null; ) {
                    last = Asciicast.parseEvent(line);
                    if (last.code().equals("o")) {
                        output.append(last.data());
                    }
                }
            }
            java.util.regex.Matcher done = java.util.regex.Pattern.compile("done ([sw]\\d+)").matcher(output);
            if (last == null || !last.code().equals("m") || !"closed".equals(JSON.readTree(last.data()).path("event").asText())
                    || !done.find()) {
                failures.add("recording " + file + " is incomplete: last event " + last + ", output '" + output + "'");
                return;
            }
            tokens.add(done.group(1));
        }

        private void expect(String what, long actual, long expected) {
            if (actual != expected) {
                failures.add(what + ": " + actual + ", expected " + expected);
            }
        }

        private Set<String> sessionIds(String type) throws Exception {
            return strings("SELECT json_extract(details, '$.session_id') FROM audit_events WHERE type = ?"
                    + " AND json_extract(details, '$.target') = ?", type, TARGET);
        }

        private Set<String> sessionCertificateIds() throws Exception {
            return strings("SELECT json_extract(details, '$.session_id') FROM audit_events WHERE type = ?"
                    + " AND json_extract(details, '$.kind') = 'session' AND json_extract(details, '$.target') = ?",
                    "certificate.issued", TARGET);
        }

        private Set<String> userCertificateSerials() throws Exception {
            return strings("SELECT json_extract(details, '$.serial') FROM audit_events WHERE type = ?"
                    + " AND json_extract(details, '$.kind') = ?", "certificate.issued", "user");
        }

        /** Session id → file, of the recordings the CA stored for the target. */
        private Map<String, String> recordings() throws Exception {
            Map<String, String> files = new java.util.HashMap<>();
            try (Connection sql = ca.sql(); PreparedStatement query = sql.prepareStatement(
                    "SELECT session_id, file FROM recordings WHERE target = ?")) {
                query.setString(1, TARGET);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        files.put(rows.getString(1), rows.getString(2));
                    }
                }
            }
            return files;
        }

        private Set<String> strings(String select, String... parameters) throws Exception {
            Set<String> values = new HashSet<>();
            try (Connection sql = ca.sql(); PreparedStatement query = sql.prepareStatement(select)) {
                for (int i = 0; i < parameters.length; i++) {
                    query.setString(i + 1, parameters[i]);
                }
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        values.add(rows.getString(1));
                    }
                }
            }
            return values;
        }
    }

    static KeyPair identity(Engineer engineer) throws Exception {
        KeyPair key;
        try (InputStream in = Files.newInputStream(engineer.key())) {
            key = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("key"), in, FilePasswordProvider.EMPTY).iterator().next();
        }
        PublicKey certificate = PublicKeyEntry.parsePublicKeyEntry(Files.readString(engineer.certificate()).strip())
                .resolvePublicKey(null, null, null);
        return new KeyPair(certificate, key.getPrivate());
    }

    /**
     * p50, p90, p99 and max of a Prometheus histogram, as the upper bounds of its buckets, in ms;
     * {@code prefix}: its bucket lines up to the value of {@code le}.
     */
    static Map<String, Double> percentiles(String metrics, String prefix) {
        List<double[]> buckets = new ArrayList<>(); // le, cumulative count
        for (String line : metrics.lines().toList()) {
            if (line.startsWith(prefix)) {
                String le = line.substring(prefix.length(), line.indexOf('"', prefix.length()));
                buckets.add(new double[] {le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le),
                        Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))});
            }
        }
        buckets.sort((a, b) -> Double.compare(a[0], b[0]));
        Map<String, Double> result = new java.util.LinkedHashMap<>();
        double total = buckets.isEmpty() ? 0 : buckets.get(buckets.size() - 1)[1];
        for (var p : Map.of("p50", 0.5, "p90", 0.9, "p99", 0.99, "max", 1.0).entrySet().stream()
                .sorted(Map.Entry.comparingByValue()).toList()) {
            for (double[] bucket : buckets) {
                if (total > 0 && bucket[1] >= p.getValue() * total) {
                    result.put(p.getKey(), Math.round(bucket[0] * 1e4) / 10.0);
                    break;
                }
            }
        }
        result.put("count", total);
        return result;
    }

    static double pct(List<Double> values, int p) {
        return values.isEmpty() ? Double.NaN : BastionBenchmark.percentile(values, p);
    }

    static void waitFor(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gave up waiting " + timeout.toSeconds() + " s for " + what);
            }
            Thread.sleep(250);
        }
    }
}
