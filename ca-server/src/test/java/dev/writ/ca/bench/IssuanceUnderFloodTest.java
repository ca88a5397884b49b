package dev.writ.ca.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client flooding {@code POST /v1/certs/user} must not make another client's certificates
 * slow: the flood is refused per address before any token is verified, which is cheap. Measured
 * here, on loopback, with a stated and generous bound rather than a tight timing assertion: the
 * victim's p99 under the flood stays under {@link #BOUND_MILLIS} ms. The same flood against a
 * CA without limits is measured too and only printed, to show what the limits buy.
 *
 * <p>The flooder and the victim come from different loopback addresses (127.0.0.2, and
 * 127.0.0.3 and up, one per phase so each starts with a fresh allowance; Linux routes all of 127/8 to lo), since limits per address are per socket address.
 * Figures are printed to the test's output (target/surefire-reports/*-output.txt).
 */
class IssuanceUnderFloodTest {

    static final int FLOODERS = 4;
    static final int VICTIM_REQUESTS = 150;
    static final long BOUND_MILLIS = 250;
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
            """;
    static final String LIMITED = """
            rate_limits:
              issuance:
                per_identity: { requests: 200, per: 1m }
                per_address: { requests: 200, per: 1m }
            """;
    static final String UNLIMITED = """
            rate_limits:
              issuance:
                per_identity: { requests: 0, per: 1m }
                per_address: { requests: 0, per: 1m }
            """;

    @TempDir
    Path dir;

    record Figures(double p50, double p99, double max, long flood, long floodRefused, long floodReconnects) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "victim p50 %.1f ms, p99 %.1f ms, max %.1f ms; flood %d requests answered"
                    + " (%d refused with 429), %d connections closed by the CA", p50, p99, max, flood, floodRefused, floodReconnects);
        }
    }

    @Test
    void aFloodFromOneAddressLeavesAnotherClientsIssuanceP99WithinTheBound() throws Exception {
        Figures quiet;
        Figures flooded;
        Figures unlimited;
        try (TestIdp idp = new TestIdp()) {
            try (TestCa ca = TestCa.start(dir.resolve("limited"), idp.issuerUrl(), POLICY, Clock.systemUTC(), LIMITED)) {
                measure(ca, idp, "warm-up", false, "127.0.0.3"); // JIT, token cache, SQLite pages
                quiet = measure(ca, idp, "quiet", false, "127.0.0.4");
                flooded = measure(ca, idp, "flooded", true, "127.0.0.5");
            }
            try (TestCa ca = TestCa.start(dir.resolve("unlimited"), idp.issuerUrl(), POLICY, Clock.systemUTC(), UNLIMITED)) {
                measure(ca, idp, "warm-up", false, "127.0.0.3");
                unlimited = measure(ca, idp, "flooded-unlimited", true, "127.0.0.4");
            }
        }
        System.out.printf("machine: %d cores%n", Runtime.getRuntime().availableProcessors());
        System.out.println("quiet CA:                    " + quiet);
        System.out.println("flooded, with rate limits:   " + flooded);
        System.out.println("flooded, without rate limits: " + unlimited);
        assertTrue(flooded.floodRefused() > flooded.flood() / 2, "most of the flood is refused: " + flooded);
        assertTrue(flooded.p99() < BOUND_MILLIS, "victim p99 under the flood: " + flooded + "; quiet: " + quiet);
    }

    /** The victim's latencies over {@link #VICTIM_REQUESTS} sequential requests, with or without a flood running. */
    Figures measure(TestCa ca, TestIdp idp, String phase, boolean flood, String victimAddress) throws Exception {
        int port = Integer.parseInt(ca.url().substring(ca.url().lastIndexOf(':') + 1));
        String victimToken = idp.idToken("victim-" + phase + "@example.com", List.of("engineering"));
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < VICTIM_REQUESTS; i++) {
            bodies.add(body());
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong reconnects = new AtomicLong();
        ExecutorService flooders = Executors.newFixedThreadPool(FLOODERS);
        List<Future<?>> running = new ArrayList<>();
        if (flood) {
            String floodToken = idp.idToken("flood-" + phase + "@example.com", List.of("engineering"));
            String floodBody = body();
            for (int t = 0; t < FLOODERS; t++) {
                running.add(flooders.submit(() -> {
                    while (!stop.get()) {
                        // Jetty closes a connection whose refused request's body was not read: connect again
                        try (Client client = new Client("127.0.0.2", port)) {
                            while (!stop.get()) {
                                int status = client.post("/v1/certs/user", floodToken, floodBody);
                                sent.incrementAndGet();
                                if (status == 429) {
                                    refused.incrementAndGet();
                                }
                            }
                        } catch (IOException e) {
                            reconnects.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(1000); // the flood has used its allowance and is being refused
        }
        double[] millis = new double[VICTIM_REQUESTS];
        try (Client victim = new Client(victimAddress, port)) {
            for (int i = 0; i < VICTIM_REQUESTS; i++) {
                long start = System.nanoTime();
                int status = victim.post("/v1/certs/user", victimToken, bodies.get(i));
                millis[i] = (System.nanoTime() - start) / 1e6;
                assertEquals(201, status, phase + ": victim request " + (i + 1));
            }
        } finally {
            stop.set(true);
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
            flooders.shutdownNow();
        }
        Arrays.sort(millis);
        return new Figures(millis[VICTIM_REQUESTS / 2], millis[(int) Math.ceil(VICTIM_REQUESTS * 0.99) - 1],
                millis[VICTIM_REQUESTS - 1], sent.get(), refused.get(), reconnects.get());
    }

    static String body() throws Exception {
        return "{\"public_key\":\"" + PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic()) + "\"}";
    }

    /** HTTP/1.1 over one kept-alive socket bound to a chosen loopback source address: what HttpClient cannot do. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Client(String source, int port) throws IOException {
            socket = new Socket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        }

        int post(String path, String token, String json) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String status = line();
            long length = -1;
            boolean chunked = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).strip());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().strip(), 16); size > 0; size = Long.parseLong(line().strip(), 16)) {
                    in.skipNBytes(size);
                    line();
                }
                line();
            } else if (length > 0) {
                in.skipNBytes(length);
            }
            return Integer.parseInt(status.split(" ")[1]);
        }

        private String line() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed mid-answer");
                }
                if (b != '\r') {
                    bytes.write(b);
                }
            }
            return bytes.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
