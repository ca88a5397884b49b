package dev.writ.bastion.bench;

import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * The bastion against OpenSSH's own ProxyJump, same machine, same run: bulk throughput with the
 * bastion's recorder off and on ({@link Throughput}: a command without a PTY, both ways at once
 * through {@code cat}, and a command with a PTY whose output is recorded byte for byte), login
 * time, and idle sessions held with the heap each costs. The bastion runs as it ships ({@code java -Xmx1g -jar bastion/target/writ-bastion.jar}),
 * in a JVM of its own; the jump host is a real sshd; every client is the real OpenSSH
 * {@code ssh} with {@code -c aes128-gcm@openssh.com} on both hops. Build the jar first:
 *
 * <pre>
 * mvn -q -B -pl bastion -am package -DskipTests
 * java -cp "$(cat classpath)" dev.writ.bastion.bench.BastionBenchmark [--bytes N] [--pty-bytes N] [--rounds N]
 *     [--logins N] [--sessions N] [--jfr bastion.jfr]
 * </pre>
 */
public final class BastionBenchmark {

    static final String LOGIN = Sshd.currentUser();
    static final String CIPHER = "aes128-gcm@openssh.com";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        long bytes = Long.parseLong(options.getOrDefault("bytes", Long.toString(1L << 30)));
        long ptyBytes = Long.parseLong(options.getOrDefault("pty-bytes", Long.toString(128L << 20)));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        int logins = Integer.parseInt(options.getOrDefault("logins", "20"));
        int sessions = Integer.parseInt(options.getOrDefault("sessions", "1000"));
        Path jar = Path.of(options.getOrDefault("jar", "bastion/target/writ-bastion.jar")).toAbsolutePath();
        Path jfr = options.containsKey("jfr") ? Path.of(options.get("jfr")).toAbsolutePath() : null;
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -q -B -pl bastion -am package -DskipTests");
        }
        Path dir = Files.createTempDirectory("writ-bench");
        System.out.printf("writ bastion benchmark in %s (%d cores); load: %s%n", dir, Runtime.getRuntime().availableProcessors(),
                load());

        try (TestIdp idp = new TestIdp()) {
            String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
            try (TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY.formatted(LOGIN, LOGIN), Clock.systemUTC(),
                    RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*"))
                            + "recording_max_bytes: " + RECORDING_MAX_BYTES + "\n"
                            + TestCa.DIRECT_ACCESS); // the OpenSSH baseline logs in to its jump host without the bastion
                 Sshd web01 = Target.start(dir.resolve("web01"), ca, "web01");
                 Sshd jumpHost = Target.start(dir.resolve("jump"), ca, "127.0.0.1");
                 IdleTarget idle = IdleTarget.start(dir.resolve("idle"), ca, "web-idle");
                 Bastion bastion = Bastion.start(dir.resolve("bastion"), jar, ca.url(), web01.port(), idle.port(), jfr)) {
                Engineer unrecorded = engineer(dir.resolve("unrecorded"), ca, idp, "unrecorded@example.com", "bench-unrecorded");
                Engineer recorded = engineer(dir.resolve("recorded"), ca, idp, "recorded@example.com", "bench-recorded");
                Routes off = new Routes(unrecorded, bastion.port, jumpHost.port(), web01.port());
                Routes on = new Routes(recorded, bastion.port, jumpHost.port(), web01.port());
                Throughput throughput = new Throughput(bastion, ca, keyId(recorded));
                throughput.measure(Throughput.Workload.exec(bytes), Throughput.Workload.exec(Math.min(bytes, 64L << 20)), List.of(
                        new Throughput.Route("OpenSSH ssh -J via sshd", off::proxyJump, false),
                        new Throughput.Route("writ login@target@bastion, recording off", off::direct, false),
                        new Throughput.Route("writ login@target@bastion, recording on", on::direct, true),
                        new Throughput.Route("writ ssh -J bastion, recording off", off::jump, false),
                        new Throughput.Route("writ ssh -J bastion, recording on", on::jump, true)), rounds);
                throughput.measure(Throughput.Workload.pty(ptyBytes), Throughput.Workload.pty(Math.min(ptyBytes, 16L << 20)), List.of(
                        new Throughput.Route("OpenSSH ssh -J via sshd", c -> off.proxyJump(c, "-tt"), false),
                        new Throughput.Route("writ login@target@bastion, recording off", c -> off.direct(c, "-tt"), false),
                        new Throughput.Route("writ login@target@bastion, recording on", c -> on.direct(c, "-tt"), true)), rounds);
                logins(on, logins);
                idleSessions(recorded, bastion, sessions);
                auditOfIdleSessions(ca, bastion, sessions);
                System.out.printf("%nload at the end: %s%n", load());
            }
        }
        System.exit(0); // the OIDC test issuer leaves threads behind
    }

    /**
     * Two roles alike but for recording, so that one bastion and one target serve both: whoever is
     * in {@code bench-unrecorded} is not recorded, whoever is in {@code bench-recorded} is, in the
     * default mode.
     */
    static final String POLICY = """
            roles:
              - name: unrecorded
                match: { groups: [bench-unrecorded] }
                principals: ["%s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]  # sshd's ProxyJump needs the latter
                recording: off
              - name: recorded
                match: { groups: [bench-recorded] }
                principals: ["%s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
                recording: best_effort
            """;
    /** Room for the terminal recordings of the PTY runs (the CA's default is 64 MiB). */
    static final long RECORDING_MAX_BYTES = 8L << 30;

    static Engineer engineer(Path dir, TestCa ca, TestIdp idp, String email, String group) throws Exception {
        Engineer engineer = Engineer.login(dir, ca, idp.idToken(email, List.of(group)), "");
        Files.writeString(engineer.config(), Files.readString(engineer.config())
                + "    Ciphers " + CIPHER + "\n    ControlMaster no\n    ControlPath none\n");
        return engineer;
    }

    /** The certificate's key id: the identity recordings are stored under. */
    static String keyId(Engineer engineer) throws Exception {
        return ((OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(Files.readString(engineer.certificate()).strip())
                .resolvePublicKey(null, null, null)).getId();
    }

    /** The machine's load averages (1, 5, 15 minutes). */
    static String load() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** The three ways to run a command on web01; {@code options} go before the destination. */
    record Routes(Engineer engineer, int bastionPort, int jumpPort, int web01Port) {
        List<String> proxyJump(String command, String... options) {
            return ssh(List.of("-J", LOGIN + "@127.0.0.1:" + jumpPort, "-o", "HostKeyAlias=web01", "-p", Integer.toString(web01Port)),
                    options, LOGIN + "@127.0.0.1", command);
        }

        List<String> direct(String command, String... options) {
            return ssh(List.of("-p", Integer.toString(bastionPort)), options, LOGIN + "@web01@127.0.0.1", command);
        }

        List<String> jump(String command, String... options) {
            return ssh(List.of("-J", "jump@127.0.0.1:" + bastionPort), options, LOGIN + "@web01", command);
        }

        private List<String> ssh(List<String> route, String[] options, String destination, String command) {
            List<String> ssh = new ArrayList<>(List.of("ssh", "-F", engineer.config().toString(), "-c", CIPHER));
            ssh.addAll(route);
            ssh.addAll(List.of(options));
            ssh.add(destination);
            ssh.add(command);
            return ssh;
        }
    }

    static void logins(Routes routes, int count) throws Exception {
        System.out.printf("%n## Connection setup: ssh ... true, %d runs each%n", count);
        Map<String, List<Double>> times = new java.util.LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            for (var route : List.of(Map.entry("OpenSSH ssh -J via sshd", routes.proxyJump("true")),
                    Map.entry("writ login@target@bastion", routes.direct("true")),
                    Map.entry("writ ssh -J bastion", routes.jump("true")))) {
                long start = System.nanoTime();
                Processes.Result result = Processes.run(route.getValue(), 60);
                if (result.exitCode() != 0) {
                    throw new IllegalStateException(route.getKey() + " failed: " + result.output());
                }
                times.computeIfAbsent(route.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - start) / 1e6);
            }
        }
        System.out.println("| route | ms, median | p10 – p90 |");
        System.out.println("|---|---|---|");
        times.forEach((route, values) -> System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f – %.0f |%n", route, median(values),
                percentile(values, 10), percentile(values, 90)));
    }

    /** {@code count} sessions through the bastion, each with an open shell channel, held while the bastion's heap is measured. */
    static void idleSessions(Engineer engineer, Bastion bastion, int count) throws Exception {
        System.out.printf("%n## Idle sessions: %d held at once (bastion -Xmx1g)%n", count);
        long before = bastion.heapAfterGc();
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        client.start();
        KeyPair key;
        try (InputStream in = Files.newInputStream(engineer.key())) {
            key = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("key"), in, FilePasswordProvider.EMPTY).iterator().next();
        }
        PublicKey certificate = PublicKeyEntry.parsePublicKeyEntry(Files.readString(engineer.certificate()).strip())
                .resolvePublicKey(null, null, null);
        KeyPair identity = new KeyPair(certificate, key.getPrivate());
        List<ClientSession> open = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        long start = System.nanoTime();
        List<Future<?>> opening = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            opening.add(pool.submit(() -> {
                ClientSession session = client.connect(LOGIN + "@web-idle", "127.0.0.1", bastion.port)
                        .verify(Duration.ofSeconds(60)).getSession();
                session.addPublicKeyIdentity(identity);
                session.auth().verify(Duration.ofSeconds(60));
                ChannelShell shell = session.createShellChannel();
                shell.open().verify(Duration.ofSeconds(60));
                open.add(session);
                return null;
            }));
        }
        for (Future<?> f : opening) {
            f.get(10, TimeUnit.MINUTES);
        }
        double setup = (System.nanoTime() - start) / 1e9;
        long after = bastion.heapAfterGc();
        System.out.printf(Locale.ROOT, "%d sessions open in %.1f s; bastion heap after GC: %.1f MiB before, %.1f MiB with them"
                        + " (%.1f KiB per session); active sessions metric: %s%n", open.size(), setup, before / 1048576.0,
                after / 1048576.0, (after - before) / 1024.0 / open.size(), bastion.metric("writ_bastion_sessions_active"));
        pool.shutdownNow();
        client.stop();
    }

    /**
     * Whether every idle session's start and end reached the CA's audit log (issue 14 found 29 of
     * 582 lost at 300 sessions): waits, at most two minutes, for the bastion's audit spool to empty.
     */
    static void auditOfIdleSessions(TestCa ca, Bastion bastion, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        long started;
        long ended;
        String pending;
        do {
            Thread.sleep(500);
            started = auditEvents(ca, "bastion.session.started");
            ended = auditEvents(ca, "bastion.session.ended");
            pending = bastion.metric("writ_bastion_audit_events_pending");
        } while ((ended < count || !pending.equals("0.0")) && System.nanoTime() < deadline);
        System.out.printf(Locale.ROOT, "audit log: %d of %d session starts and %d of %d ends of the idle sessions; "
                        + "bastion's audit spool: %s pending, %s dropped, %s failed uploads (retried)%n", started, count, ended, count,
                pending, bastion.metric("writ_bastion_audit_events_dropped_total").replace("?", "0"),
                bastion.metric("writ_bastion_audit_uploads_total{outcome=\"failed\"}").replace("?", "0"));
    }

    static long auditEvents(TestCa ca, String type) throws Exception {
        try (java.sql.Connection c = ca.sql(); java.sql.PreparedStatement s = c.prepareStatement(
                "SELECT COUNT(*) FROM audit_events WHERE type = ? AND details LIKE '%\"target\":\"web-idle\"%'")) {
            s.setString(1, type);
            try (java.sql.ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The bastion as it ships, in its own JVM with a 1 GiB heap. */
    static final class Bastion implements AutoCloseable {
        final Process process;
        final int port;
        final int metricsPort;
        final Path spool;

        private Bastion(Process process, int port, int metricsPort, Path spool) {
            this.process = process;
            this.port = port;
            this.metricsPort = metricsPort;
            this.spool = spool;
        }

        /** @param jfr where the bastion's JVM writes a flight recording (profile settings); null: none */
        static Bastion start(Path dir, Path jar, String caUrl, int web01Port, int idlePort, Path jfr) throws Exception {
            List<String> java = new ArrayList<>(List.of("java", "-Xmx1g"));
            if (jfr != null) {
                java.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + jfr);
            }
            java.addAll(List.of("-jar", jar.toString()));
            return start(dir, java, caUrl, """
                      - name: web01
                        address: 127.0.0.1:%d
                      - name: web-idle
                        address: 127.0.0.1:%d
                    """.formatted(web01Port, idlePort));
        }

        /**
         * Starts {@code java} (the command up to the bastion's own arguments) with a config for
         * {@code targetsYaml} (entries of {@code targets:}), without login rate limits and with
         * recordings spooled under {@code dir/recordings}; waits, at most a minute, for it to listen.
         */
        static Bastion start(Path dir, List<String> java, String caUrl, String targetsYaml) throws Exception {
            int port = freePort();
            int metricsPort = freePort();
            Path config = Files.writeString(dir.resolve("bastion.yaml"), """
                    listen: 127.0.0.1:%d
                    name: %s
                    key: ./bastion_key
                    hostnames: [127.0.0.1, localhost]
                    ca:
                      url: %s
                    targets:
                    %s
                    metrics: 127.0.0.1:%d
                    max_sessions_per_identity: 100000
                    # one engineer opens a thousand sessions from one address: no login rate limits here
                    login_rate_limits:
                      per_identity: { requests: 0, per: 1m }
                      per_address: { requests: 0, per: 1m }
                    recordings:
                      spool: ./recordings
                    """.formatted(port, RunningBastion.NAME, caUrl, targetsYaml.stripTrailing(), metricsPort));
            List<String> command = new ArrayList<>(java);
            command.addAll(List.of("--config", config.toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("bastion.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    break;
                } catch (Exception notYet) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        process.destroyForcibly();
                        throw new IllegalStateException("the bastion did not start: " + Files.readString(dir.resolve("bastion.log")));
                    }
                    Thread.sleep(100);
                }
            }
            return new Bastion(process, port, metricsPort, dir.resolve("recordings"));
        }

        /** Heap in use after a full GC (jcmd), from the bastion's own /metrics. */
        long heapAfterGc() throws Exception {
            Processes.run(List.of("jcmd", Long.toString(process.pid()), "GC.run"), 60);
            Thread.sleep(500);
            double total = 0;
            for (String line : metrics().lines().toList()) {
                if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return (long) total;
        }

        String metric(String name) throws Exception {
            return metrics().lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                    .map(line -> line.substring(line.lastIndexOf(' ') + 1)).findFirst().orElse("?");
        }

        String metrics() throws Exception {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(60, TimeUnit.SECONDS); // a flight recording is written on the way out
        }
    }

    static double median(List<Double> values) {
        return percentile(values, 50);
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.round(p / 100.0 * (sorted.size() - 1));
        return sorted.get(index);
    }

    static String quote(List<String> command) {
        return String.join(" ", command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return options;
    }
}
