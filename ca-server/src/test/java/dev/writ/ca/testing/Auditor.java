package dev.writ.ca.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** An auditor reading recordings through a CA's API with an ID token: search, download, verify. */
public record Auditor(String caUrl, String idToken) {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code GET /v1/recordings?q=TEXT}: the recordings found (200 required). */
    public JsonNode search(String text) throws Exception {
        HttpResponse<String> response = get("/v1/recordings?q=" + URLEncoder.encode(text, StandardCharsets.UTF_8),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("search answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body()).get("recordings");
    }

    /** {@code GET /v1/recordings/ID/verify} (200 required). */
    public JsonNode verify(String id) throws Exception {
        HttpResponse<String> response = get("/v1/recordings/" + id + "/verify", HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("verify answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** {@code GET /v1/recordings/ID}: the file as the player and {@code writ recordings export} get it. */
    public HttpResponse<byte[]> download(String id) throws Exception {
        return get("/v1/recordings/" + id, HttpResponse.BodyHandlers.ofByteArray());
    }

    private <T> HttpResponse<T> get(String path, HttpResponse.BodyHandler<T> body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(caUrl + path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + idToken).GET().build(), body);
    }
}
