package dev.writ.agent.ca;

import com.fasterxml.jackson.core.JacksonException;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.Durations;
import dev.writ.protocol.api.AccessRequestList;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.LiveSessionList;
import dev.writ.protocol.api.LoginConfig;
import dev.writ.protocol.api.NewAccessRequest;
import dev.writ.protocol.api.NewReview;
import dev.writ.protocol.api.NewRevocation;
import dev.writ.protocol.api.Problem;
import dev.writ.protocol.api.RevocationResult;
import dev.writ.protocol.api.SessionEnding;
import dev.writ.protocol.api.UserCertRequest;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.AuditKey;
import dev.writ.protocol.audit.AuditRecord;
import dev.writ.protocol.audit.EvidenceBundle;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The CA's HTTP API as the CLI uses it. Every answer's {@code Date} header is compared with the
 * local clock: certificates are checked against the clock on both sides, so a skew over
 * {@link #MAX_SKEW} is reported before it turns into a puzzling "certificate not yet valid".
 *
 * <p>With several CA replicas configured, a call that gets no answer (refused, timed out) or a
 * 5xx is made again at the next replica, each at most once and all within the one timeout of
 * the call; the client sticks to the replica that answered last.
 */
public final class CaClient {

    public static final Duration MAX_SKEW = Duration.ofMinutes(2);

    /** A further replica is tried only while this much of the call's timeout is left. */
    private static final Duration ENOUGH_FOR_ANOTHER = Duration.ofMillis(500);

    private final List<URI> bases;
    /** The replica that answered last: where every call starts. */
    private final AtomicInteger current = new AtomicInteger();
    private final HttpClient http;
    private final Clock clock;
    private final Duration timeout;

    public CaClient(URI base, HttpClient http, Clock clock, Duration timeout) {
        this(List.of(base), http, clock, timeout);
    }

    /** {@code bases}: every CA replica's URL, the preferred first. */
    public CaClient(List<URI> bases, HttpClient http, Clock clock, Duration timeout) {
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("at least one CA URL is required");
        }
        this.bases = List.copyOf(bases);
        this.http = http;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** A client for the configured CA, trusting its {@code ca_bundle} when there is one. */
    public static CaClient create(ClientConfig config, Clock clock, Duration timeout) throws WritException {
        return create(config.caUris(), config.caBundle(), clock, timeout);
    }

    /** A client for the CA at {@code base}; {@code caBundle} (a PEM file) may be null. */
    public static CaClient create(URI base, String caBundle, Clock clock, Duration timeout) throws WritException {
        return create(List.of(base), caBundle, clock, timeout);
    }

    /** A client for the CA replicas at {@code bases}, the preferred first; {@code caBundle} (a PEM file) may be null. */
    public static CaClient create(List<URI> bases, String caBundle, Clock clock, Duration timeout) throws WritException {
        try {
            return new CaClient(bases, Http.client(caBundle == null ? null : Http.trusting(Path.of(caBundle))), clock, timeout);
        } catch (IOException | GeneralSecurityException e) {
            throw new WritException(Exit.NOT_CONFIGURED, "cannot load the CA bundle " + caBundle + ": " + e.getMessage(), e);
        }
    }

    /** The replica that answered last (the first configured until one did). */
    public URI base() {
        return bases.get(current.get());
    }

    /**
     * {@code GET /v1/login-config}, the first thing {@code writ configure} asks. What answers
     * without a writ CA's JSON or problem document (a web server, an identity provider, a proxy's
     * error page) is {@link Exit#NOT_A_WRIT_CA}, named by its status and media type.
     */
    public LoginConfig loginConfig() throws WritException {
        HttpResponse<String> response = exchange(request("/v1/login-config").GET().build());
        String mediaType = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip())
                .orElse("no Content-Type");
        if (mediaType.equals(Problem.MEDIA_TYPE)) {
            checked(response); // a writ CA refusing: its detail, as for any call
        }
        if (response.statusCode() == 200 && mediaType.equals("application/json")) {
            try {
                LoginConfig config = Json.MAPPER.readValue(response.body(), LoginConfig.class);
                if (config != null && config.issuer() != null) {
                    checkClock(response);
                    return config;
                }
            } catch (IOException notLoginConfig) {
                // named below
            }
        }
        throw new WritException(Exit.NOT_A_WRIT_CA, base() + " is not a writ CA: GET /v1/login-config answered "
                + response.statusCode() + " (" + mediaType + ")");
    }

    /** The {@code @cert-authority} lines for the CA's host keys. */
    public String knownHosts() throws WritException {
        return send(request("/v1/ca/known_hosts").GET().build()).body();
    }

    /** {@code GET /v1/krl}: the OpenSSH KRL of everything the CA revoked. */
    public byte[] krl() throws WritException {
        HttpResponse<byte[]> response = exchange(HttpRequest.newBuilder(base().resolve("/v1/krl")).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new CaRefusedException(response.statusCode(), "GET /v1/krl answered HTTP " + response.statusCode());
        }
        return response.body();
    }

    /** Asks for a certificate for {@code requested.publicKey()}, proving who we are with {@code idToken}. */
    public CertificateResponse issueUserCertificate(String idToken, UserCertRequest requested) throws WritException {
        return json(send(post(authorized("/v1/certs/user", idToken), requested)), CertificateResponse.class);
    }

    // ---- just-in-time access, as the logged-in user

    /** {@code POST /v1/access-requests}: the request, pending or approved at once. */
    public AccessRequestView requestAccess(String idToken, NewAccessRequest requested) throws WritException {
        return json(send(post(authorized("/v1/access-requests", idToken), requested)), AccessRequestView.class);
    }

    /** {@code GET /v1/access-requests}: those the caller may see, newest first; {@code state} may be null. */
    public AccessRequestList accessRequests(String idToken, String state, boolean mine) throws WritException {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("state", state);
        query.put("mine", mine ? "true" : null);
        return json(send(authorized("/v1/access-requests" + query(query), idToken).GET().build()), AccessRequestList.class);
    }

    /** {@code POST /v1/access-requests/{id}/reviews}: approve or deny; the request after the review. */
    public AccessRequestView review(String idToken, String id, NewReview review) throws WritException {
        return json(send(post(authorized("/v1/access-requests/" + segment(id) + "/reviews", idToken), review)),
                AccessRequestView.class);
    }

    /** {@code DELETE /v1/access-requests/{id}}: withdraws a pending request or ends a grant; the request after. */
    public AccessRequestView dropAccessRequest(String idToken, String id) throws WritException {
        return json(send(authorized("/v1/access-requests/" + segment(id), idToken).DELETE().build()), AccessRequestView.class);
    }

    // ---- revocation, for admins

    /** {@code POST /v1/revocations}: what the KRL now revokes because of it. */
    public RevocationResult revoke(String idToken, NewRevocation revocation) throws WritException {
        return json(send(post(authorized("/v1/revocations", idToken), revocation)), RevocationResult.class);
    }

    // ---- live sessions: listed for auditors, ended by admins

    /** {@code GET /v1/sessions}: the sessions open at the bastions now, oldest first. */
    public LiveSessionList liveSessions(String idToken) throws WritException {
        return json(send(authorized("/v1/sessions", idToken).GET().build()), LiveSessionList.class);
    }

    /** {@code DELETE /v1/sessions/{id}?reason=}: the CA waits a few seconds for the bastion to confirm. */
    public SessionEnding endSession(String idToken, String id, String reason) throws WritException {
        return json(send(authorized("/v1/sessions/" + segment(id) + query(Map.<String, Object>of("reason", reason)), idToken).DELETE().build()),
                SessionEnding.class);
    }

    // ---- the audit log, for auditors

    /** {@code GET /v1/audit}: up to {@code limit} events after {@code afterSeq} that pass the filter, oldest first. */
    public List<AuditRecord> auditEvents(String idToken, AuditFilter filter, long afterSeq, int limit) throws WritException {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("actor", filter.actor());
        query.put("type", filter.type());
        query.put("since", filter.since());
        query.put("until", filter.until());
        query.put("after_seq", afterSeq);
        query.put("limit", limit);
        HttpResponse<String> response = send(authorized("/v1/audit" + query(query), idToken).GET().build());
        List<AuditRecord> events = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (!line.isBlank()) {
                events.add(json(response, line, AuditRecord.class));
            }
        }
        return events;
    }

    /** {@code GET /v1/audit/verify}: the CA's own check of the whole hash chain. */
    public AuditChain.Verification verifyAudit(String idToken) throws WritException {
        return json(send(authorized("/v1/audit/verify", idToken).GET().build()), AuditChain.Verification.class);
    }

    /** {@code GET /v1/audit/key}: the public key that signs the audit checkpoints. */
    public AuditKey auditKey() throws WritException {
        return json(send(request("/v1/audit/key").GET().build()), AuditKey.class);
    }

    /** {@code GET /v1/audit/checkpoints}: up to {@code limit} signed checkpoints after event {@code afterSeq}, oldest first. */
    public List<AuditCheckpoint> auditCheckpoints(String idToken, long afterSeq, int limit) throws WritException {
        HttpResponse<String> response = send(authorized("/v1/audit/checkpoints"
                + query(Map.<String, Object>of("after_seq", afterSeq, "limit", limit)), idToken).GET().build());
        List<AuditCheckpoint> checkpoints = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (!line.isBlank()) {
                checkpoints.add(json(response, line, AuditCheckpoint.class));
            }
        }
        return checkpoints;
    }

    /**
     * {@code GET /v1/audit/export}: streams the evidence bundle of events between {@code since} and
     * {@code until} (either may be null) into {@code file}, which is created 0600 (it names people and addresses) and must not exist.
     */
    public void exportAudit(String idToken, Instant since, Instant until, Path file) throws WritException {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("since", since);
        parameters.put("until", until);
        HttpRequest request = authorized("/v1/audit/export" + query(parameters), idToken)
                .header("Accept", EvidenceBundle.MEDIA_TYPE).GET().build();
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() / 100 != 2) {
                checkClock(response);
                throw new CaRefusedException(response.statusCode(),
                        detail(new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8), response.statusCode()));
            }
            checkClock(response);
            try (var out = java.nio.channels.Channels.newOutputStream(Files.newByteChannel(file,
                    java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
                body.transferTo(out);
            }
        } catch (IOException e) {
            throw new WritException(Exit.CA_UNREACHABLE, "the CA at " + base() + " broke off the export: " + e.getMessage(), e);
        }
    }

    private HttpRequest.Builder authorized(String path, String idToken) {
        return request(path).header("Authorization", "Bearer " + idToken);
    }

    private static HttpRequest post(HttpRequest.Builder request, Object body) {
        try {
            return request.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body))).build();
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot render a request", e);
        }
    }

    /** {@code ?name=value&...} of the parameters that are not null, or nothing. */
    private static String query(Map<String, Object> parameters) {
        String query = parameters.entrySet().stream().filter(p -> p.getValue() != null)
                .map(p -> p.getKey() + "=" + URLEncoder.encode(String.valueOf(p.getValue()), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return query.isEmpty() ? "" : "?" + query;
    }

    /** One path segment from what the user typed: percent-encoded, so that it stays one segment. */
    private static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base().resolve(path)).timeout(timeout).header("Accept", "application/json");
    }

    private HttpResponse<String> send(HttpRequest request) throws WritException {
        return checked(exchange(request));
    }

    /** The answer when it is a success; a clock off the CA's, or the CA's refusal, otherwise. */
    private HttpResponse<String> checked(HttpResponse<String> response) throws WritException {
        checkClock(response);
        if (response.statusCode() / 100 != 2) {
            throw new CaRefusedException(response.statusCode(), detail(response));
        }
        return response;
    }

    /** The answer, whatever its status; no answer within the timeout is {@link Exit#CA_UNREACHABLE}. */
    private HttpResponse<String> exchange(HttpRequest request) throws WritException {
        return exchange(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The answer of the replica that answered last, or, when it gives none or a 5xx, of the next
     * that does: each replica at most once, all within the request's one timeout.
     */
    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body) throws WritException {
        Duration bound = request.timeout().orElse(timeout);
        long deadline = System.nanoTime() + bound.toNanos();
        int start = current.get();
        IOException failure = null;
        for (int tried = 0; tried < bases.size(); tried++) {
            int index = (start + tried) % bases.size();
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (tried > 0 && left.compareTo(ENOUGH_FOR_ANOTHER) < 0) {
                break;
            }
            boolean last = tried + 1 == bases.size();
            try {
                HttpResponse<T> response = Http.send(http, at(request, bases.get(index), tried == 0 ? bound : left), body);
                if (response.statusCode() >= 500 && !last) {
                    continue;
                }
                current.set(index);
                return response;
            } catch (IOException e) {
                failure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WritException(Exit.CA_UNREACHABLE, "interrupted while waiting for the CA at " + base(), e);
            }
        }
        Object where = bases.size() == 1 ? bases.get(0)
                : bases.stream().map(URI::toString).collect(Collectors.joining(", "));
        throw new WritException(Exit.CA_UNREACHABLE, Http.unanswered("the CA", where, failure, bound), failure);
    }

    /** The same request, made to the replica at {@code base} within {@code bound}. */
    private static HttpRequest at(HttpRequest request, URI base, Duration bound) {
        URI uri = request.uri();
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return HttpRequest.newBuilder(request, (name, value) -> true).uri(base.resolve(path)).timeout(bound).build();
    }

    private void checkClock(HttpResponse<?> response) throws WritException {
        Optional<Instant> serverTime = response.headers().firstValue("Date").flatMap(CaClient::parseDate);
        if (serverTime.isEmpty()) {
            return;
        }
        Duration skew = Duration.between(serverTime.get(), clock.instant());
        // the Date header has whole seconds; a second of rounding is not skew
        if (skew.abs().compareTo(MAX_SKEW.plusSeconds(1)) > 0) {
            throw new WritException(Exit.CLOCK_SKEW, "the local clock is " + Durations.format(skew.abs().withNanos(0))
                    + (skew.isNegative() ? " behind" : " ahead of") + " the CA's clock (" + base() + "); set the time"
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
        return json(response, response.body(), type);
    }

    /** {@code text} (the body, or one line of it) as a {@code type}. */
    private <T> T json(HttpResponse<String> response, String text, Class<T> type) throws WritException {
        try {
            T value = Json.MAPPER.readValue(text, type);
            if (value == null) {
                throw new IOException("empty body");
            }
            return value;
        } catch (IOException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA at " + base() + " answered " + response.request().uri().getPath()
                    + " with something that is not the expected JSON", e);
        }
    }

    /** The problem's {@code detail}, else the status: what the CA said, never the body verbatim. */
    private static String detail(HttpResponse<String> response) {
        return detail(response.body(), response.statusCode());
    }

    private static String detail(String body, int status) {
        try {
            Problem problem = Json.MAPPER.readValue(body, Problem.class);
            if (problem != null && problem.detail() != null && !problem.detail().isBlank()) {
                return problem.detail();
            }
        } catch (IOException | RuntimeException notAProblem) {
            // fall through to the status line
        }
        return "HTTP " + status;
    }
}
