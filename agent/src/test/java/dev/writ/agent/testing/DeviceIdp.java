package dev.writ.agent.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OpenID Connect provider with the device authorization grant (RFC 8628), which
 * mock-oauth2-server lacks, on the JDK's HTTP server: discovery, JWKS, device authorization,
 * a verification page where "the user on another device" approves or denies (over HTTP), and a
 * token endpoint for device codes and refresh tokens (rotated; revocable). One user, bob.
 */
public final class DeviceIdp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private enum Decision { PENDING, APPROVED, DENIED }

    private final HttpServer http;
    private final String issuer;
    private final RSAKey key;
    private final Map<String, Decision> deviceCodes = new ConcurrentHashMap<>();
    private final Map<String, String> userCodes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> refreshTokens = new ConcurrentHashMap<>();
    private final Deque<String> scriptedPollErrors = new ArrayDeque<>();
    private final AtomicInteger polls = new AtomicInteger();
    private final AtomicInteger refreshes = new AtomicInteger();
    private volatile Duration idTokenLifetime = Duration.ofHours(1);
    private volatile long expiresIn = 600;
    private volatile String lastUserCode;

    private DeviceIdp(HttpServer http) throws JOSEException {
        this.http = http;
        this.issuer = "http://127.0.0.1:" + http.getAddress().getPort() + "/device-idp";
        this.key = new RSAKeyGenerator(2048).keyID("device-idp-1").generate();
        http.createContext("/", this::handle);
        http.start();
    }

    public static DeviceIdp start() throws Exception {
        return new DeviceIdp(HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0));
    }

    public String issuerUrl() {
        return issuer;
    }

    /** ID tokens (from device codes and refreshes) live this long. */
    public DeviceIdp idTokenLifetime(Duration lifetime) {
        this.idTokenLifetime = lifetime;
        return this;
    }

    /** The device codes' lifetime ({@code expires_in}). */
    public DeviceIdp deviceCodesExpireIn(long seconds) {
        this.expiresIn = seconds;
        return this;
    }

    /** The next polls get these errors, in order, whatever the user decided. */
    public synchronized DeviceIdp scriptPolls(String... errors) {
        scriptedPollErrors.addAll(List.of(errors));
        return this;
    }

    /** Every refresh token issued so far is refused from now on (invalid_grant). */
    public void revokeRefreshTokens() {
        refreshTokens.replaceAll((token, valid) -> false);
    }

    public int polls() {
        return polls.get();
    }

    public int refreshes() {
        return refreshes.get();
    }

    /** The user, on another device, opens the verification page and approves (or denies) the last code. */
    public void decide(boolean approve) throws Exception {
        URI page = URI.create(issuer + "/verify?user_code=" + lastUserCode + "&decision=" + (approve ? "approve" : "deny"));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(page).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("verification page answered " + response.statusCode());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring("/device-idp".length());
            switch (path) {
                case "/.well-known/openid-configuration" -> json(exchange, 200, discovery());
                case "/jwks" -> json(exchange, 200, new JWKSet(key.toPublicJWK()).toJSONObject());
                case "/device" -> json(exchange, 200, deviceAuthorization());
                case "/verify" -> verify(exchange);
                case "/token" -> token(exchange, form(exchange));
                default -> json(exchange, 404, Map.of("error", "not_found"));
            }
        } catch (JOSEException e) {
            throw new IOException(e);
        }
    }

    private Map<String, Object> discovery() {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("issuer", issuer);
        document.put("authorization_endpoint", issuer + "/authorize");
        document.put("token_endpoint", issuer + "/token");
        document.put("device_authorization_endpoint", issuer + "/device");
        document.put("jwks_uri", issuer + "/jwks");
        document.put("response_types_supported", List.of("code"));
        document.put("subject_types_supported", List.of("public"));
        document.put("id_token_signing_alg_values_supported", List.of("RS256"));
        return document;
    }

    private Map<String, Object> deviceAuthorization() {
        String deviceCode = UUID.randomUUID().toString();
        String userCode = "WRIT-" + (1000 + deviceCodes.size());
        deviceCodes.put(deviceCode, Decision.PENDING);
        userCodes.put(userCode, deviceCode);
        lastUserCode = userCode;
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("device_code", deviceCode);
        answer.put("user_code", userCode);
        answer.put("verification_uri", issuer + "/verify");
        answer.put("verification_uri_complete", issuer + "/verify?user_code=" + userCode);
        answer.put("expires_in", expiresIn);
        answer.put("interval", 1);
        return answer;
    }

    private void verify(HttpExchange exchange) throws IOException {
        Map<String, String> query = parse(exchange.getRequestURI().getRawQuery());
        String deviceCode = userCodes.get(query.get("user_code"));
        if (deviceCode == null) {
            json(exchange, 404, Map.of("error", "unknown user code"));
            return;
        }
        deviceCodes.put(deviceCode, "approve".equals(query.get("decision")) ? Decision.APPROVED : Decision.DENIED);
        json(exchange, 200, Map.of("decided", true));
    }

    private void token(HttpExchange exchange, Map<String, String> form) throws IOException, JOSEException {
        if (!"writ".equals(form.get("client_id"))) {
            json(exchange, 401, Map.of("error", "invalid_client"));
            return;
        }
        switch (form.getOrDefault("grant_type", "")) {
            case "urn:ietf:params:oauth:grant-type:device_code" -> {
                polls.incrementAndGet();
                String scripted;
                synchronized (this) {
                    scripted = scriptedPollErrors.poll();
                }
                if (scripted != null) {
                    json(exchange, 400, Map.of("error", scripted));
                    return;
                }
                Decision decision = deviceCodes.get(form.get("device_code"));
                if (decision == null) {
                    json(exchange, 400, Map.of("error", "invalid_grant"));
                } else if (decision == Decision.PENDING) {
                    json(exchange, 400, Map.of("error", "authorization_pending"));
                } else if (decision == Decision.DENIED) {
                    json(exchange, 400, Map.of("error", "access_denied"));
                } else {
                    deviceCodes.remove(form.get("device_code"));
                    json(exchange, 200, tokens());
                }
            }
            case "refresh_token" -> {
                refreshes.incrementAndGet();
                Boolean valid = refreshTokens.get(form.get("refresh_token"));
                if (valid == null || !valid) {
                    json(exchange, 400, Map.of("error", "invalid_grant", "error_description", "refresh token revoked"));
                    return;
                }
                refreshTokens.put(form.get("refresh_token"), false); // rotated: each refresh token works once
                json(exchange, 200, tokens());
            }
            default -> json(exchange, 400, Map.of("error", "unsupported_grant_type"));
        }
    }

    private Map<String, Object> tokens() throws JOSEException {
        String refreshToken = "rt-" + UUID.randomUUID();
        refreshTokens.put(refreshToken, true);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("access_token", "at-" + UUID.randomUUID());
        answer.put("token_type", "Bearer");
        answer.put("expires_in", idTokenLifetime.getSeconds());
        answer.put("id_token", idToken());
        answer.put("refresh_token", refreshToken);
        return answer;
    }

    private String idToken() throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer).subject("bob").audience("writ")
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(idTokenLifetime)))
                .claim("email", "bob@example.com").claim("groups", List.of("engineering"))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static Map<String, String> form(HttpExchange exchange) throws IOException {
        return parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static Map<String, String> parse(String raw) {
        Map<String, String> values = new HashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                values.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static void json(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
