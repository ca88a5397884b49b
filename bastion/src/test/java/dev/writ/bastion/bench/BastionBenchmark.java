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
 * in a JVM of its own, on the newest JDK under /usr/lib/jvm unless {@code --java} names one; the jump host is a real
 * sshd; every client is the real OpenSSH {@code ssh}, with its default settings (chacha20-poly1305 on every hop) and,
 * as a second column, with {@code Ciphers aes128-gcm@openssh.com} on every hop. Build the jar first:
 *
 * <pre>
 * mvn -q -B -pl bastion -am package -DskipTests
 * java -cp "$(cat classpath)" dev.writ.bastion.bench.BastionBenchmark [--bytes N] [--pty-bytes N] [--rounds N]
 *     [--logins N] [--sessions N] [--jfr bastion.jfr]
 * </pre>
 */
public final class BastionBenchmark {

    /** The target login: a plain shell, so that no heavy ~/.bashrc (root's may run pyenv and such) weighs on every command. */
    static final String LOGIN = plainShellLogin();
    static final String AES_GCM = "aes128-gcm@openssh.com";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        long bytes = Long.parseLong(options.getOrDefault("bytes", Long.toString(256L << 20)));
        long ptyBytes = Long.parseLong(options.getOrDefault("pty-bytes", Long.toString(128L << 20)));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
        int logins = Integer.parseInt(options.getOrDefault("logins", "20"));
        int sessions = Integer.parseInt(options.getOrDefault("sessions", "1000"));
        Path jar = Path.of(options.getOrDefault("jar", "bastion/target/writ-bastion.jar")).toAbsolutePath();
        Path jfr = options.containsKey("jfr") ? Path.of(options.get("jfr")).toAbsolutePath() : null;
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -q -B -pl bastion -am package -DskipTests");
        }
        Path dir = Files.createTempDirectory("writ-bench");
        String java = options.getOrDefault("java", newestJava());
        System.out.printf("writ bastion benchmark in %s (%d cores); load: %s%nbastion JVM: %s (%s); target login: %s%n", dir,
                Runtime.getRuntime().availableProcessors(), load(), java, javaVersion(java), LOGIN);

        try (TestIdp idp = new TestIdp()) {
            String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
            try (TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY.formatted(LOGIN, LOGIN), Clock.systemUTC(),
                    RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*"))
                            + "recording_max_bytes: " + RECORDING_MAX_BYTES + "\n"
                            + TestCa.DIRECT_ACCESS); // the OpenSSH baseline logs in to its jump host without the bastion
                 Sshd web01 = Target.start(dir.resolve("web01"), ca, "web01");
                 Sshd jumpHost = Target.start(dir.resolve("jump"), ca, "127.0.0.1");
                 IdleTarget idle = IdleTarget.start(dir.resolve("idle"), ca, "web-idle");
                 Bastion bastion = Bastion.start(dir.resolve("bastion"), java, jar, ca.url(), web01.port(), idle.port(), jfr)) {
                Engineer unrecorded = engineer(dir.resolve("unrecorded"), ca, idp, "unrecorded@example.com", "bench-unrecorded");
                Engineer recorded = engineer(dir.resolve("recorded"), ca, idp, "recorded@example.com", "bench-recorded");
                Routes off = new Routes(unrecorded, unrecorded.config(), bastion.port, jumpHost.port(), web01.port());
                Routes on = new Routes(recorded, recorded.config(), bastion.port, jumpHost.port(), web01.port());
                Path jumpPid = dir.resolve("jump").resolve("sshd.pid");
                Throughput throughput = new Throughput(bastion, ca, keyId(recorded));
                for (String ciphers : List.of("default", AES_GCM)) {
                    Routes o = ciphers.equals("default") ? off : off.withCiphers(ciphers);
                    Routes r = ciphers.equals("default") ? on : on.withCiphers(ciphers);
                    System.out.printf("%n# Client ciphers: %s%n", ciphers.equals("default") ? "the OpenSSH client's defaults" : ciphers);
                    negotiated(List.of(Map.entry("OpenSSH ssh -J via sshd", o.proxyJump("true", "-v")),
                            Map.entry("writ login@target@bastion", r.direct("true", "-v")),
                            Map.entry("writ ssh -J bastion", r.jump("true", "-v"))));
                    throughput.measure(Throughput.Workload.exec(bytes), Throughput.Workload.exec(Math.min(bytes, 64L << 20)), List.of(
                            new Throughput.Route("OpenSSH ssh -J via sshd", o::proxyJump, false, () -> Cpu.ticks(jumpPid), "jump sshd"),
                            new Throughput.Route("writ login@target@bastion, recording off", o::direct, false, bastion::cpuTicks, "bastion"),
                            new Throughput.Route("writ login@target@bastion, recording on", r::direct, true, bastion::cpuTicks, "bastion"),
                            new Throughput.Route("writ ssh -J bastion, recording off", o::jump, false, bastion::cpuTicks, "bastion"),
                            new Throughput.Route("writ ssh -J bastion, recording on", r::jump, true, bastion::cpuTicks, "bastion")),
                            rounds);
                }
                if (ptyBytes > 0) { // --pty-bytes 0, --logins 0, --sessions 0: leave that part out
                    throughput.measure(Throughput.Workload.pty(ptyBytes), Throughput.Workload.pty(Math.min(ptyBytes, 16L << 20)),
                            List.of(new Throughput.Route("OpenSSH ssh -J via sshd", c -> off.proxyJump(c, "-tt"), false),
                                    new Throughput.Route("writ login@target@bastion, recording off", c -> off.direct(c, "-tt"), false),
                                    new Throughput.Route("writ login@target@bastion, recording on", c -> on.direct(c, "-tt"), true)),
                            rounds);
                }
                if (logins > 0) {
                    logins(on, logins);
                }
                if (sessions > 0) {
                    idleSessions(recorded, bastion, sessions);
                    auditOfIdleSessions(ca, bastion, sessions);
                }
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
        Files.writeString(engineer.config(), Files.readString(engineer.config()) + "    ControlMaster no\n    ControlPath none\n");
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

    /**
     * The three ways to run a command on web01; {@code options} go before the destination. {@code config} is the
     * client's ssh_config: a {@code Ciphers} line there reaches both hops of ProxyJump, where {@code -c} reaches only the last.
     */
    record Routes(Engineer engineer, Path config, int bastionPort, int jumpPort, int web01Port) {
        Routes withCiphers(String ciphers) throws java.io.IOException {
            Path file = engineer.dir().resolve("ssh_config-" + ciphers.replaceAll("[^a-z0-9-]", "_"));
            Files.writeString(file, Files.readString(engineer.config()) + "    Ciphers " + ciphers + "\n");
            return new Routes(engineer, file, bastionPort, jumpPort, web01Port);
        }

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
            List<String> ssh = new ArrayList<>(List.of("ssh", "-F", config.toString()));
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
        static Bastion start(Path dir, String javaCommand, Path jar, String caUrl, int web01Port, int idlePort, Path jfr)
                throws Exception {
            List<String> java = new ArrayList<>(List.of(javaCommand, "-Xmx1g"));
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
         * recordings spooled under {@code dir/recordings}; waits, at most three minutes (a loaded machine), for it to listen.
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
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
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

        /** The bastion process's CPU time so far, user and system, in clock ticks. */
        long cpuTicks() {
            return Cpu.ticks(process.pid());
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

    /** Which cipher each hop negotiated, from {@code ssh -v}. */
    static void negotiated(List<Map.Entry<String, List<String>>> routes) throws Exception {
        System.out.println("negotiated ciphers (ssh -v, per hop, server->client / client->server):");
        for (var route : routes) {
            Processes.Result result = Processes.run(route.getValue(), 60);
            List<String> hops = result.output().lines().filter(l -> l.contains("kex: server->client cipher:")
                    || l.contains("kex: client->server cipher:")).map(l -> l.replaceAll(".*cipher: (\\S+).*", "$1")).toList();
            System.out.printf("- %s: %s%s%n", route.getKey(), hops, result.exitCode() == 0 ? "" : " (exit " + result.exitCode() + ")");
        }
    }

    /** CPU time of a process from /proc/PID/stat: its own, and its waited-for children's (sshd's per-connection processes). */
    static final class Cpu {
        private Cpu() {
        }

        static long ticks(Path pidFile) {
            try {
                return ticks(Long.parseLong(Files.readString(pidFile).strip()));
            } catch (java.io.IOException e) {
                return -1;
            }
        }

        static long ticks(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields from the third of stat(5): utime 14, stime 15, cutime 16, cstime 17
                return Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                        + Long.parseLong(fields[14]);
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }
    }

    /** The newest JDK's java under /usr/lib/jvm (by feature version), else the java on the PATH. */
    static String newestJava() {
        String best = "java";
        int bestVersion = 0;
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path dir : dirs.toList()) {
                Path launcher = dir.resolve("bin/java");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:java-|jdk-?|openjdk-|temurin-)(\\d+)")
                        .matcher(dir.getFileName().toString());
                if (Files.isExecutable(launcher) && m.find() && Integer.parseInt(m.group(1)) > bestVersion) {
                    bestVersion = Integer.parseInt(m.group(1));
                    best = launcher.toString();
                }
            }
        } catch (java.io.IOException e) {
            return best;
        }
        return best;
    }

    static String javaVersion(String java) {
        try {
            return Processes.run(List.of(java, "-version"), 60).output().lines().skip(1).findFirst().orElse("?").strip();
        } catch (Exception e) {
            return "?";
        }
    }

    /**
     * {@code writ-bench} when that account exists (./dev bench bastion creates it, with /bin/sh and no password, when
     * run as root), else the current user.
     */
    static String plainShellLogin() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                if (line.startsWith("writ-bench:")) {
                    return "writ-bench";
                }
            }
        } catch (java.io.IOException e) {
            return Sshd.currentUser();
        }
        return Sshd.currentUser();
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
