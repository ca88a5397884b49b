package dev.writ.bastion.ca;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.protocol.api.BastionAuditBatch;
import dev.writ.protocol.api.BastionHostCertRequest;
import dev.writ.protocol.api.BastionSync;
import dev.writ.protocol.api.CaKeysResponse;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.PolicyFiles;
import dev.writ.protocol.api.SessionCertRequest;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's calls to the CA, over HTTPS (the CA's certificate verified against the system
 * trust store or the configured bundle), each carrying a fresh assertion from {@link BastionCredential}.
 *
 * <p>With several CA replicas, a call that cannot connect, times out or gets a 5xx answer is
 * made again at the next replica, each replica at most once per call; the client sticks to the
 * replica that answered last. A long-poll sync that loses its replica reconnects to another.
 */
public final class CaClient {

    private static final Logger LOG = LoggerFactory.getLogger(CaClient.class);
    /** The longest wait for an answer: a session certificate, a policy, a host certificate. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Builds the request of one attempt, for one replica (a fresh assertion each time: they are single-use). */
    private interface Request {
        HttpRequest to(URI base) throws CaException;
    }

    private final List<URI> bases;
    /** The replica that answered last: where every call starts. */
    private final AtomicInteger current = new AtomicInteger();
    private final HttpClient http;
    private final BastionCredential credential;

    public CaClient(URI base, Path bundle, BastionCredential credential) throws IOException, GeneralSecurityException {
        this(List.of(base), bundle, credential);
    }

    /** {@code bases}: every CA replica's URL, the preferred first. */
    public CaClient(List<URI> bases, Path bundle, BastionCredential credential) throws IOException, GeneralSecurityException {
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("at least one CA URL is required");
        }
        this.bases = List.copyOf(bases);
        this.credential = credential;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (bundle != null) {
            builder.sslContext(trusting(bundle));
        }
        this.http = builder.build();
    }

    public CaKeysResponse caKeys() throws CaException {
        return json(send(base -> get(base, "/v1/ca", false)), CaKeysResponse.class);
    }

    public byte[] krl() throws CaException {
        return send(base -> get(base, "/v1/krl", false)).body();
    }

    /**
     * {@code POST /v1/bastion/sync}: reports the sessions held and waits (up to the report's
     * {@code wait_seconds}, plus some slack) for what the CA has to say.
     */
    public BastionSync.Answer sync(BastionSync report) throws CaException {
        return json(send(base -> HttpRequest.newBuilder(post(base, "/v1/bastion/sync", report), (name, value) -> true)
                .timeout(TIMEOUT.plusSeconds(report.waitSeconds())).build()), BastionSync.Answer.class);
    }

    public PolicyFiles policy() throws CaException {
        return json(send(base -> get(base, "/v1/bastion/policy", true)), PolicyFiles.class);
    }

    public CertificateResponse hostCertificate(BastionHostCertRequest request) throws CaException {
        return json(send(base -> post(base, "/v1/certs/bastion-host", request)), CertificateResponse.class);
    }

    /**
     * {@code POST /v1/certs/session}; fails with a {@link CaException}: status 0 when the CA could
     * not be reached or did not answer within {@link #TIMEOUT}, else the CA's status and detail.
     */
    public CompletableFuture<CertificateResponse> sessionCertificate(SessionCertRequest request) {
        return sessionCertificate(request, current.get(), 0).thenApply(response -> {
            try {
                return json(checked(response), CertificateResponse.class);
            } catch (CaException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** One attempt at replica {@code index}; on no answer or a 5xx, the next, until each was tried once. */
    private CompletableFuture<HttpResponse<byte[]>> sessionCertificate(SessionCertRequest request, int index, int tried) {
        URI base = bases.get(index % bases.size());
        boolean last = tried + 1 >= bases.size();
        try {
            return http.sendAsync(post(base, "/v1/certs/session", request), HttpResponse.BodyHandlers.ofByteArray())
                    .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .handle((response, error) -> {
                        if (error == null && (response.statusCode() < 500 || last)) {
                            current.set(index % bases.size());
                            return CompletableFuture.completedFuture(response);
                        }
                        if (error == null) {
                            LOG.warn("the CA at {} answered {}; trying the next CA replica", base, response.statusCode());
                            return sessionCertificate(request, index + 1, tried + 1);
                        }
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        LOG.warn("no session certificate: the CA at {} did not answer: {}", base, cause.toString());
                        if (last) {
                            return CompletableFuture.<HttpResponse<byte[]>>failedFuture(
                                    new CaException(0, "the CA at " + base + " did not answer"));
                        }
                        return sessionCertificate(request, index + 1, tried + 1);
                    })
                    .thenCompose(next -> next);
        } catch (CaException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * {@code PUT /v1/recordings/{id}}: a finished recording with its digest and the bastion's
     * signature over it. Returns the digest the CA says it stored.
     */
    public String putRecording(String id, Path file, String sha256, String signature, Duration timeout) throws CaException {
        Request request = base -> {
            try {
                return HttpRequest.newBuilder(base.resolve(base.getPath() + "/v1/recordings/" + id)).timeout(timeout)
                        .header("Content-Type", RecordingUpload.MEDIA_TYPE)
                        .header(RecordingUpload.SHA256_HEADER, sha256)
                        .header(RecordingUpload.SIGNATURE_HEADER, signature)
                        .header("Authorization", "Bearer " + credential.assertion())
                        .PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
            } catch (IOException e) {
                throw new CaException(0, "cannot read " + file.getFileName() + ": " + e.getMessage());
            }
        };
        return json(send(request), JsonNode.class).path("sha256").asText("");
    }

    /**
     * {@code POST /v1/audit/bastion/batch}: spooled audit events, oldest first; the CA stores each
     * id once and says how many it already had.
     */
    public BastionAuditBatch.Answer auditBatch(BastionAuditBatch batch) throws CaException {
        return json(send(base -> post(base, "/v1/audit/bastion/batch", batch)), BastionAuditBatch.Answer.class);
    }

    private HttpRequest get(URI base, String path, boolean authenticated) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(TIMEOUT).GET();
        if (authenticated) {
            request.header("Authorization", "Bearer " + credential.assertion());
        }
        return request.build();
    }

    private HttpRequest post(URI base, String path, Object body) throws CaException {
        try {
            return HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + credential.assertion())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new CaException(0, "cannot encode the request: " + e.getMessage());
        }
    }

    /**
     * Makes the call at the replica that answered last, then at each other one in turn while the
     * answer is none (refused, timed out) or a 5xx: at most one attempt per replica.
     */
    private HttpResponse<byte[]> send(Request request) throws CaException {
        int start = current.get();
        CaException failure = null;
        for (int tried = 0; tried < bases.size(); tried++) {
            int index = (start + tried) % bases.size();
            URI base = bases.get(index);
            boolean last = tried + 1 == bases.size();
            try {
                HttpResponse<byte[]> response = http.send(request.to(base), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() >= 500 && !last) {
                    LOG.warn("the CA at {} answered {}; trying the next CA replica", base, response.statusCode());
                    continue;
                }
                current.set(index);
                return checked(response);
            } catch (IOException e) {
                failure = new CaException(0, "the CA at " + base + " is unreachable: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
                if (!last) {
                    LOG.warn("{}; trying the next CA replica", failure.getMessage());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CaException(0, "interrupted");
            }
        }
        throw failure;
    }

    private static HttpResponse<byte[]> checked(HttpResponse<byte[]> response) throws CaException {
        if (response.statusCode() / 100 == 2) {
            return response;
        }
        String detail;
        try {
            JsonNode problem = JSON.readTree(response.body());
            detail = problem.path("detail").asText("HTTP " + response.statusCode());
        } catch (IOException e) {
            detail = "HTTP " + response.statusCode();
        }
        throw new CaException(response.statusCode(), detail);
    }

    private static <T> T json(HttpResponse<byte[]> response, Class<T> type) throws CaException {
        try {
            return JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new CaException(response.statusCode(), "unexpected answer from the CA: " + e.getClass().getSimpleName());
        }
    }

    private static SSLContext trusting(Path bundle) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(bundle)) {
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            if (i == 0) {
                throw new IOException(bundle + " holds no certificate");
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
