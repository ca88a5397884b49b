package dev.writ.agent.recordings;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaRefusedException;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.identity.Certifier;
import dev.writ.protocol.api.Problem;
import dev.writ.protocol.api.RecordingList;
import dev.writ.protocol.api.RecordingVerification;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code /v1/recordings} as reviewers use it, with the signed-in user's ID token (refreshed
 * silently, and once more when the CA says it expired).
 */
final class RecordingsClient {

    /** A downloaded recording with the digest and signature the CA sent along. */
    record Download(byte[] body, String sha256, String signature) {
    }

    private final URI base;
    private final HttpClient http;
    private final Certifier tokens;
    private final Duration timeout;

    private RecordingsClient(URI base, HttpClient http, Certifier tokens, Duration timeout) {
        this.base = base;
        this.http = http;
        this.tokens = tokens;
        this.timeout = timeout;
    }

    static RecordingsClient create(ClientConfig config, Certifier tokens, Duration timeout) throws WritException {
        try {
            HttpClient http = Http.client(config.caBundle() == null ? null : Http.trusting(Path.of(config.caBundle())));
            return new RecordingsClient(config.caUri(), http, tokens, timeout);
        } catch (IOException | GeneralSecurityException e) {
            throw new WritException(Exit.NOT_CONFIGURED, "cannot load the CA bundle " + config.caBundle() + ": " + e.getMessage(), e);
        }
    }

    /** {@code GET /v1/recordings} with the non-null parameters, and its body as the CA sent it. */
    String searchJson(Map<String, String> parameters) throws WritException {
        Map<String, String> present = new LinkedHashMap<>();
        parameters.forEach((name, value) -> {
            if (value != null) {
                present.put(name, value);
            }
        });
        String query = present.entrySet().stream()
                .map(p -> p.getKey() + "=" + URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return new String(send("/v1/recordings" + (query.isEmpty() ? "" : "?" + query)).body(), StandardCharsets.UTF_8);
    }

    RecordingList search(Map<String, String> parameters) throws WritException {
        return json(searchJson(parameters).getBytes(StandardCharsets.UTF_8), RecordingList.class);
    }

    Download download(String id) throws WritException {
        HttpResponse<byte[]> response = send("/v1/recordings/" + path(id));
        return new Download(response.body(), response.headers().firstValue(RecordingUpload.SHA256_HEADER).orElse(null),
                response.headers().firstValue(RecordingUpload.SIGNATURE_HEADER).orElse(null));
    }

    RecordingVerification verify(String id) throws WritException {
        return json(send("/v1/recordings/" + path(id) + "/verify").body(), RecordingVerification.class);
    }

    private HttpResponse<byte[]> send(String path) throws WritException {
        try {
            return send(path, tokens.idToken(false));
        } catch (CaRefusedException e) {
            if (e.status() != 401) {
                throw e;
            }
            return send(path, tokens.idToken(true)); // the CA did not take the token (expired by its clock): once more
        }
    }

    private HttpResponse<byte[]> send(String path, String idToken) throws WritException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + idToken).GET().build();
        HttpResponse<byte[]> response;
        try {
            // the timeout bounds the wait for the answer's headers, not the transfer: a recording may be large
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new WritException(Exit.CA_UNREACHABLE, Http.unanswered("the CA", base, e, timeout), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WritException(Exit.CA_UNREACHABLE, "interrupted while waiting for the CA at " + base, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new CaRefusedException(response.statusCode(), detail(response));
        }
        return response;
    }

    private <T> T json(byte[] body, Class<T> type) throws WritException {
        try {
            return Json.MAPPER.readValue(body, type);
        } catch (IOException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA at " + base + " answered with something that is not the expected JSON", e);
        }
    }

    private static String path(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    private static String detail(HttpResponse<byte[]> response) {
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
