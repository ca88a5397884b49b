package dev.writ.agent.ca;

import com.fasterxml.jackson.core.JacksonException;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.Durations;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.LoginConfig;
import dev.writ.protocol.api.Problem;
import dev.writ.protocol.api.UserCertRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The CA's HTTP API as the CLI uses it. Every answer's {@code Date} header is compared with the
 * local clock: certificates are checked against the clock on both sides, so a skew over
 * {@link #MAX_SKEW} is reported before it turns into a puzzling "certificate not yet valid".
 */
public final class CaClient {

    public static final Duration MAX_SKEW = Duration.ofMinutes(2);

    private final URI base;
    private final HttpClient http;
    private final Clock clock;
    private final Duration timeout;

    public CaClient(URI base, HttpClient http, Clock clock, Duration timeout) {
        this.base = base;
        this.http = http;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** A client for the configured CA, trusting its {@code ca_bundle} when there is one. */
    public static CaClient create(ClientConfig config, Clock clock, Duration timeout) throws WritException {
        return create(config.caUri(), config.caBundle(), clock, timeout);
    }

    /** A client for the CA at {@code base}; {@code caBundle} (a PEM file) may be null. */
    public static CaClient create(URI base, String caBundle, Clock clock, Duration timeout) throws WritException {
        try {
            return new CaClient(base, Http.client(caBundle == null ? null : Http.trusting(Path.of(caBundle))), clock, timeout);
        } catch (IOException | GeneralSecurityException e) {
            throw new WritException(Exit.NOT_CONFIGURED, "cannot load the CA bundle " + caBundle + ": " + e.getMessage(), e);
        }
    }

    public URI base() {
        return base;
    }

    public LoginConfig loginConfig() throws WritException {
        return json(send(request("/v1/login-config").GET().build()), LoginConfig.class);
    }

    /** The {@code @cert-authority} lines for the CA's host keys. */
    public String knownHosts() throws WritException {
        return send(request("/v1/ca/known_hosts").GET().build()).body();
    }

    /** Asks for a certificate for {@code requested.publicKey()}, proving who we are with {@code idToken}. */
    public CertificateResponse issueUserCertificate(String idToken, UserCertRequest requested) throws WritException {
        String body;
        try {
            body = Json.MAPPER.writeValueAsString(requested);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot render a request", e);
        }
        return json(send(request("/v1/certs/user")
                .header("Authorization", "Bearer " + idToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build()), CertificateResponse.class);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Accept", "application/json");
    }

    private HttpResponse<String> send(HttpRequest request) throws WritException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new WritException(Exit.CA_UNREACHABLE, "cannot reach the CA at " + base + ": " + Http.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WritException(Exit.CA_UNREACHABLE, "interrupted while waiting for the CA at " + base, e);
        }
        checkClock(response);
        if (response.statusCode() / 100 != 2) {
            throw new CaRefusedException(response.statusCode(), detail(response));
        }
        return response;
    }

    private void checkClock(HttpResponse<String> response) throws WritException {
        Optional<Instant> serverTime = response.headers().firstValue("Date").flatMap(CaClient::parseDate);
        if (serverTime.isEmpty()) {
            return;
        }
        Duration skew = Duration.between(serverTime.get(), clock.instant());
        // the Date header has whole seconds; a second of rounding is not skew
        if (skew.abs().compareTo(MAX_SKEW.plusSeconds(1)) > 0) {
            throw new WritException(Exit.CLOCK_SKEW, "the local clock is " + Durations.format(skew.abs().withNanos(0))
                    + (skew.isNegative() ? " behind" : " ahead of") + " the CA's clock (" + base + "); set the time"
                    + " right (NTP) and try again");
        }
    }

    private static Optional<Instant> parseDate(String value) {
        try {
            return Optional.of(ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private <T> T json(HttpResponse<String> response, Class<T> type) throws WritException {
        try {
            T value = Json.MAPPER.readValue(response.body(), type);
            if (value == null) {
                throw new IOException("empty body");
            }
            return value;
        } catch (IOException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA at " + base + " answered " + response.request().uri().getPath()
                    + " with something that is not the expected JSON", e);
        }
    }

    /** The problem's {@code detail}, else the status: what the CA said, never the body verbatim. */
    private static String detail(HttpResponse<String> response) {
        try {
            Problem problem = Json.MAPPER.readValue(response.body(), Problem.class);
            if (problem != null && problem.detail() != null && !problem.detail().isBlank()) {
                return problem.detail();
            }
        } catch (IOException | RuntimeException notAProblem) {
            // fall through to the status line
        }
        return "HTTP " + response.statusCode();
    }
}
