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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's calls to the CA, over HTTPS (the CA's certificate verified against the system
 * trust store or the configured bundle), each carrying a fresh assertion from {@link BastionCredential}.
 */
public final class CaClient {

    private static final Logger LOG = LoggerFactory.getLogger(CaClient.class);
    /** The longest wait for an answer: a session certificate, a policy, a host certificate. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final URI base;
    private final HttpClient http;
    private final BastionCredential credential;

    public CaClient(URI base, Path bundle, BastionCredential credential) throws IOException, GeneralSecurityException {
        this.base = base;
        this.credential = credential;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (bundle != null) {
            builder.sslContext(trusting(bundle));
        }
        this.http = builder.build();
    }

    public CaKeysResponse caKeys() throws CaException {
        return json(send(get("/v1/ca", false)), CaKeysResponse.class);
    }

    public byte[] krl() throws CaException {
        return send(get("/v1/krl", false)).body();
    }

    /**
     * {@code POST /v1/bastion/sync}: reports the sessions held and waits (up to the report's
     * {@code wait_seconds}, plus some slack) for what the CA has to say.
     */
    public BastionSync.Answer sync(BastionSync report) throws CaException {
        HttpRequest request = HttpRequest.newBuilder(post("/v1/bastion/sync", report), (name, value) -> true)
                .timeout(TIMEOUT.plusSeconds(report.waitSeconds())).build();
        return json(send(request), BastionSync.Answer.class);
    }

    public PolicyFiles policy() throws CaException {
        return json(send(get("/v1/bastion/policy", true)), PolicyFiles.class);
    }

    public CertificateResponse hostCertificate(BastionHostCertRequest request) throws CaException {
        return json(send(post("/v1/certs/bastion-host", request)), CertificateResponse.class);
    }

    /**
     * {@code POST /v1/certs/session}; fails with a {@link CaException}: status 0 when the CA could
     * not be reached or did not answer within {@link #TIMEOUT}, else the CA's status and detail.
     */
    public CompletableFuture<CertificateResponse> sessionCertificate(SessionCertRequest request) {
        try {
            return http.sendAsync(post("/v1/certs/session", request), HttpResponse.BodyHandlers.ofByteArray())
                    .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(error -> {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        LOG.warn("no session certificate: the CA at {} did not answer: {}", base, cause.toString());
                        throw new CompletionException(new CaException(0, "the CA at " + base + " did not answer"));
                    })
                    .thenApply(response -> {
                        try {
                            return json(checked(response), CertificateResponse.class);
                        } catch (CaException e) {
                            throw new CompletionException(e);
                        }
                    });
        } catch (CaException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * {@code PUT /v1/recordings/{id}}: a finished recording with its digest and the bastion's
     * signature over it. Returns the digest the CA says it stored.
     */
    public String putRecording(String id, Path file, String sha256, String signature, Duration timeout) throws CaException {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(base.resolve(base.getPath() + "/v1/recordings/" + id)).timeout(timeout)
                    .header("Content-Type", RecordingUpload.MEDIA_TYPE)
                    .header(RecordingUpload.SHA256_HEADER, sha256)
                    .header(RecordingUpload.SIGNATURE_HEADER, signature)
                    .header("Authorization", "Bearer " + credential.assertion())
                    .PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
        } catch (IOException e) {
            throw new CaException(0, "cannot read " + file.getFileName() + ": " + e.getMessage());
        }
        return json(send(request), JsonNode.class).path("sha256").asText("");
    }

    /**
     * {@code POST /v1/audit/bastion/batch}: spooled audit events, oldest first; the CA stores each
     * id once and says how many it already had.
     */
    public BastionAuditBatch.Answer auditBatch(BastionAuditBatch batch) throws CaException {
        return json(send(post("/v1/audit/bastion/batch", batch)), BastionAuditBatch.Answer.class);
    }

    private HttpRequest get(String path, boolean authenticated) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(TIMEOUT).GET();
        if (authenticated) {
            request.header("Authorization", "Bearer " + credential.assertion());
        }
        return request.build();
    }

    private HttpRequest post(String path, Object body) throws CaException {
        try {
            return HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + credential.assertion())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new CaException(0, "cannot encode the request: " + e.getMessage());
        }
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws CaException {
        try {
            return checked(http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            throw new CaException(0, "the CA at " + base + " is unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaException(0, "interrupted");
        }
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
