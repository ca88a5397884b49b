package dev.writ.bastion.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.session.BastionAssertions;
import dev.writ.ca.session.BastionRegistration;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code PUT /v1/recordings/{id}} as the upload contract ({@link RecordingUpload}) says, on a
 * loopback port: the CA's own check of the bastion's JWT, the digest of the body, the bastion's
 * signature over it, the asciicast header with the required writ facts; then the file is kept
 * and answered 201 with its digest. The CA's real endpoint comes with the recordings branch; this
 * stands in for it and can be told to fail: the next N uploads with a status, answer slowly, or
 * reject ids for good (400).
 */
public final class RecordingReceiver implements AutoCloseable {

    private static final Pattern PATH = Pattern.compile("/v1/recordings/([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final BastionAssertions assertions;
    private final BastionRegistration bastion;
    private final Map<String, byte[]> stored = new ConcurrentHashMap<>();
    private final List<String> attempts = new CopyOnWriteArrayList<>();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile int failureStatus = 500;
    private volatile Duration delay = Duration.ZERO;
    private volatile Predicate<String> rejected = id -> false;

    private RecordingReceiver(HttpServer server, BastionRegistration bastion) {
        this.server = server;
        this.bastion = bastion;
        this.assertions = new BastionAssertions(List.of(bastion), Clock.systemUTC());
    }

    /** A receiver that accepts uploads from the bastion whose public key line is {@code publicKeyLine}. */
    public static RecordingReceiver start(String publicKeyLine) throws IOException {
        BastionRegistration bastion = new BastionRegistration(RunningBastion.NAME, publicKeyLine, List.of("127.0.0.1/32"),
                List.of("localhost"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        RecordingReceiver receiver = new RecordingReceiver(server, bastion);
        server.createContext("/v1/recordings/", receiver::handle);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        return receiver;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code count} uploads are answered {@code status}. */
    public void failNext(int count, int status) {
        failureStatus = status;
        failures.set(count);
    }

    /** Every upload is answered only after {@code delay} (the bastion's timeout may be shorter). */
    public void slow(Duration delay) {
        this.delay = delay;
    }

    /** Uploads of matching ids are refused for good: 400, as the CA refuses a bad recording. */
    public void reject(Predicate<String> ids) {
        this.rejected = ids;
    }

    /** Stored recordings by id. */
    public Map<String, byte[]> stored() {
        return Map.copyOf(stored);
    }

    /** Every upload tried, as "id status", in order. */
    public List<String> attempts() {
        return List.copyOf(attempts);
    }

    /** The stored recordings, read back. */
    public Map<String, Asciicast.Recording> recordings() throws IOException {
        Map<String, Asciicast.Recording> all = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> entry : stored.entrySet()) {
            all.put(entry.getKey(), Asciicast.read(new StringReader(new String(entry.getValue(), StandardCharsets.UTF_8))));
        }
        return all;
    }

    /** Waits until a stored recording's header facts match {@code facts}; returns it. */
    public Asciicast.Recording await(Predicate<Map<String, String>> facts, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Asciicast.Recording recording : recordings().values()) {
                if (facts.test(recording.header().writ())) {
                    return recording;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no such recording within " + timeout + "; attempts " + attempts + ", stored "
                + recordings().values().stream().map(r -> r.header().writ()).toList());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            var matcher = PATH.matcher(exchange.getRequestURI().getPath());
            if (!"PUT".equals(exchange.getRequestMethod()) || !matcher.matches()) {
                answer(exchange, "?", 404, "{}");
                return;
            }
            String id = matcher.group(1);
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                answer(exchange, id, failureStatus, problem("test_failure", "failing on purpose"));
                return;
            }
            // the bastion, by the CA's own check of its assertion
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            try {
                assertions.verify(authorization == null || !authorization.startsWith("Bearer ") ? null : authorization.substring(7));
            } catch (RequestRefused e) {
                answer(exchange, id, 401, problem("invalid_bastion_assertion", e.getMessage()));
                return;
            }
            // the digest it signed, and the body's
            String sha256 = exchange.getRequestHeaders().getFirst(RecordingUpload.SHA256_HEADER);
            String signature = exchange.getRequestHeaders().getFirst(RecordingUpload.SIGNATURE_HEADER);
            if (sha256 == null || !sha256.matches("[0-9a-f]{64}") || signature == null) {
                answer(exchange, id, 400, problem("bad_recording_digest", "digest and signature headers are required"));
                return;
            }
            byte[] digest = HexFormat.of().parseHex(sha256);
            if (!RecordingUpload.verify(bastion.key(), digest, Base64.getDecoder().decode(signature))) {
                answer(exchange, id, 401, problem("bad_recording_signature", "not the bastion's signature over the digest"));
                return;
            }
            String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            if (!actual.equals(sha256)) {
                answer(exchange, id, 400, problem("digest_mismatch", "the body's SHA-256 is " + actual));
                return;
            }
            // a writ recording
            try {
                Map<String, String> facts = Asciicast.read(new StringReader(new String(body, StandardCharsets.UTF_8))).header().writ();
                for (String fact : RecordingUpload.REQUIRED_FACTS) {
                    if (facts.get(fact) == null || facts.get(fact).isBlank()) {
                        throw new IOException("the header lacks writ." + fact);
                    }
                }
            } catch (IOException e) {
                answer(exchange, id, 400, problem("bad_recording", e.getMessage()));
                return;
            }
            if (rejected.test(id)) {
                answer(exchange, id, 400, problem("bad_recording", "rejected on purpose"));
                return;
            }
            byte[] before = stored.putIfAbsent(id, body);
            if (before != null && !java.util.Arrays.equals(before, body)) {
                answer(exchange, id, 409, problem("recording_exists", "stored already with another digest"));
                return;
            }
            answer(exchange, id, before == null ? 201 : 200, JSON.writeValueAsString(Map.of("id", id, "sha256", sha256)));
        } catch (Exception e) {
            answer(exchange, "?", 500, problem("receiver_error", String.valueOf(e)));
        } finally {
            exchange.close();
        }
    }

    private void answer(HttpExchange exchange, String id, int status, String json) throws IOException {
        attempts.add(id + " " + status);
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status < 300 ? "application/json" : "application/problem+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String problem(String type, String detail) throws IOException {
        return JSON.writeValueAsString(Map.of("type", type, "detail", detail));
    }

    /** Writes every stored recording into {@code dir}, for a look after a failed test. */
    public void dump(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> entry : stored.entrySet()) {
            Files.write(dir.resolve(entry.getKey() + ".cast"), entry.getValue());
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
