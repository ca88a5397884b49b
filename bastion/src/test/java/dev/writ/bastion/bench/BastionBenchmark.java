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
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * The bastion against OpenSSH's own ProxyJump, same machine, same run: bulk throughput (bytes
 * through {@code cat}, both ways at once), login time, and idle sessions held with the heap each
 * costs. The bastion runs as it ships ({@code java -Xmx1g -jar bastion/target/writ-bastion.jar}),
 * in a JVM of its own; the jump host is a real sshd; every client is the real OpenSSH
 * {@code ssh} with {@code -c aes128-gcm@openssh.com} on both hops. Build the jar first:
 *
 * <pre>
 * mvn -q -B -pl bastion -am package -DskipTests
 * java -cp "$(cat classpath)" dev.writ.bastion.bench.BastionBenchmark [--bytes N] [--rounds N] [--logins N] [--sessions N]
 * </pre>
 */
public final class BastionBenchmark {

    static final String LOGIN = Sshd.currentUser();
    static final String CIPHER = "aes128-gcm@openssh.com";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        long bytes = Long.parseLong(options.getOrDefault("bytes", Long.toString(1L << 30)));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        int logins = Integer.parseInt(options.getOrDefault("logins", "20"));
        int sessions = Integer.parseInt(options.getOrDefault("sessions", "1000"));
        Path jar = Path.of(options.getOrDefault("jar", "bastion/target/writ-bastion.jar")).toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -q -B -pl bastion -am package -DskipTests");
        }
        Path dir = Files.createTempDirectory("writ-bench");
        System.out.printf("writ bastion benchmark in %s (%d cores)%n", dir, Runtime.getRuntime().availableProcessors());

        try (TestIdp idp = new TestIdp()) {
            String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
            try (TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                    roles:
                      - name: engineer
                        match: { groups: [engineering] }
                        principals: ["%s"]
                        targets: [ { hosts: ["web*"] } ]
                        max_ttl: 8h
                        extensions: [permit-pty, permit-port-forwarding]  # sshd's ProxyJump needs the latter
                    """.formatted(LOGIN), Clock.systemUTC(),
                    RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
                 Sshd web01 = Target.start(dir.resolve("web01"), ca, "web01");
                 Sshd jumpHost = Target.start(dir.resolve("jump"), ca, "127.0.0.1");
                 IdleTarget idle = IdleTarget.start(dir.resolve("idle"), ca, "web-idle");
                 Bastion bastion = Bastion.start(dir.resolve("bastion"), jar, ca.url(), web01.port(), idle.port())) {
                Engineer engineer = Engineer.login(dir.resolve("engineer"), ca,
                        idp.idToken("bench@example.com", List.of("engineering")), "");
                Files.writeString(engineer.config(), Files.readString(engineer.config())
                        + "    Ciphers " + CIPHER + "\n    ControlMaster no\n    ControlPath none\n");
                Routes routes = new Routes(engineer, bastion.port, jumpHost.port(), web01.port());
                throughput(routes, bytes, rounds);
                logins(routes, logins);
                idleSessions(engineer, bastion, sessions);
            }
        }
        System.exit(0); // the OIDC test issuer leaves threads behind
    }

    /** The three ways to run a command on web01. */
    record Routes(Engineer engineer, int bastionPort, int jumpPort, int web01Port) {
        List<String> proxyJump(String command) {
            return List.of("ssh", "-F", engineer.config().toString(), "-c", CIPHER, "-J", LOGIN + "@127.0.0.1:" + jumpPort,
                    "-o", "HostKeyAlias=web01", "-p", Integer.toString(web01Port), LOGIN + "@127.0.0.1", command);
        }

        List<String> direct(String command) {
            return List.of("ssh", "-F", engineer.config().toString(), "-c", CIPHER, "-p", Integer.toString(bastionPort),
                    LOGIN + "@web01@127.0.0.1", command);
        }

        List<String> jump(String command) {
            return List.of("ssh", "-F", engineer.config().toString(), "-c", CIPHER, "-J", "jump@127.0.0.1:" + bastionPort,
                    LOGIN + "@web01", command);
        }
    }

    static void throughput(Routes routes, long bytes, int rounds) throws Exception {
        System.out.printf("%n## Throughput: %d MiB through cat (stdin to stdout, both directions at once), %d rounds%n",
                bytes >> 20, rounds);
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (var route : List.of(Map.entry("OpenSSH ssh -J via sshd", routes.proxyJump("cat")),
                    Map.entry("writ login@target@bastion", routes.direct("cat")),
                    Map.entry("writ ssh -J bastion", routes.jump("cat")))) {
                List<String> shell = List.of("bash", "-c", "head -c " + bytes + " /dev/zero | " + quote(route.getValue()) + " | wc -c");
                long start = System.nanoTime();
                Processes.Result result = Processes.run(shell, 600);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (result.exitCode() != 0 || !result.output().strip().equals(Long.toString(bytes))) {
                    throw new IllegalStateException(route.getKey() + " failed: " + result.output());
                }
                rates.computeIfAbsent(route.getKey(), k -> new ArrayList<>()).add(bytes / seconds / (1 << 20));
            }
        }
        System.out.println("| route | MiB/s each way, median | min – max |");
        System.out.println("|---|---|---|");
        rates.forEach((route, values) -> System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f – %.0f |%n", route, median(values),
                Collections.min(values), Collections.max(values)));
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

    /** The bastion as it ships, in its own JVM with a 1 GiB heap. */
    static final class Bastion implements AutoCloseable {
        final Process process;
        final int port;
        final int metricsPort;

        private Bastion(Process process, int port, int metricsPort) {
            this.process = process;
            this.port = port;
            this.metricsPort = metricsPort;
        }

        static Bastion start(Path dir, Path jar, String caUrl, int web01Port, int idlePort) throws Exception {
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
                      - name: web01
                        address: 127.0.0.1:%d
                      - name: web-idle
                        address: 127.0.0.1:%d
                    metrics: 127.0.0.1:%d
                    max_sessions_per_identity: 100000
                    """.formatted(port, RunningBastion.NAME, caUrl, web01Port, idlePort, metricsPort));
            Process process = new ProcessBuilder("java", "-Xmx1g", "-jar", jar.toString(), "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("bastion.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    break;
                } catch (Exception notYet) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("the bastion did not start: " + Files.readString(dir.resolve("bastion.log")));
                    }
                    Thread.sleep(100);
                }
            }
            return new Bastion(process, port, metricsPort);
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

        private String metrics() throws Exception {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
        }

        @Override
        public void close() {
            process.destroy();
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
