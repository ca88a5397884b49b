package dev.writ.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTP plumbing shared by the CA and OIDC clients: clients with timeouts, exchanges bounded from
 * the first byte to the last, and short failure reasons.
 */
public final class Http {

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The most a command waits for one answer, connection and body included: a CA or provider
     * that accepts and stays silent costs a command this long, then one line and its exit code.
     * Above the CA's 10 s wait for a bastion to confirm that a session ended.
     */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(12);

    private Http() {
    }

    public static HttpClient client(SSLContext tls) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade on plain http, which some servers leave hanging
                .followRedirects(HttpClient.Redirect.NEVER);
        if (tls != null) {
            builder.sslContext(tls);
        }
        return builder.build();
    }

    /** A TLS context trusting exactly the certificates of a PEM bundle (the CA's config option {@code ca_bundle}). */
    public static SSLContext trusting(Path pemBundle) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(pemBundle)) {
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("bundle-" + i++, certificate);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate in " + pemBundle);
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * Sends {@code request} and waits at most its timeout for the whole answer, body included:
     * the request timeout of {@link HttpClient} ends at the headers, so a server that answers
     * them and then stalls would otherwise hold a command for ever.
     */
    public static <T> HttpResponse<T> send(HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        Duration bound = request.timeout().orElse(REQUEST_TIMEOUT);
        CompletableFuture<HttpResponse<T>> answer = http.sendAsync(request, body);
        try {
            return answer.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new HttpTimeoutException("no answer within " + seconds(bound));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        }
    }

    /**
     * One line for an exchange with {@code party} at {@code where} that got no answer:
     * {@code the CA at URL did not answer within 12 s}, or {@code cannot reach the CA at URL: connection refused}.
     */
    public static String unanswered(String party, Object where, IOException e, Duration bound) {
        if (timedOut(e)) {
            return party + " at " + where + " did not answer within " + seconds(bound);
        }
        return "cannot reach " + party + " at " + where + ": " + reason(e);
    }

    static boolean timedOut(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpTimeoutException) {
                return true;
            }
        }
        return false;
    }

    static String seconds(Duration bound) {
        return bound.toSeconds() + " s";
    }

    /** Why a request failed, in a few words: "connection refused", "timed out", "TLS: ...". */
    public static String reason(IOException e) {
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof HttpConnectTimeoutException || cause instanceof HttpTimeoutException) {
                return "timed out";
            }
            if (cause instanceof UnknownHostException || cause instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (cause instanceof SSLException) {
                return "TLS failed: " + cause.getMessage();
            }
            if (cause instanceof ConnectException) {
                return cause.getMessage() == null || cause.getMessage().isBlank() ? "connection refused" : cause.getMessage();
            }
            cause = cause.getCause();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
