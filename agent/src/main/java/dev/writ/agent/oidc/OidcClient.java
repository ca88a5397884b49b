package dev.writ.agent.oidc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The CLI as a public OIDC client (no secret; PKCE protects the code): discovery, and the three
 * token endpoint grants it uses (authorization code, device code, refresh token). These are
 * form posts of a few fields, written here on {@code java.net.http}; what is delicate about the
 * answers, the ID token's claims, is checked with Nimbus in {@link IdTokenCheck}.
 */
public final class OidcClient {

    public static final String DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

    private final ClientConfig config;
    private final HttpClient http;
    private final Duration timeout;
    private ProviderMetadata metadata;

    public OidcClient(ClientConfig config, HttpClient http, Duration timeout) {
        this.config = config;
        this.http = http;
        this.timeout = timeout;
    }

    public ClientConfig config() {
        return config;
    }

    /** The discovery document, fetched once per client; its {@code issuer} must be the configured one. */
    public synchronized ProviderMetadata metadata() throws WritException {
        if (metadata != null) {
            return metadata;
        }
        String issuer = withoutSlash(config.issuer());
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(issuer + "/.well-known/openid-configuration"))
                .timeout(timeout).GET().build());
        ProviderMetadata found;
        try {
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode());
            }
            found = Json.MAPPER.readValue(response.body(), ProviderMetadata.class);
        } catch (IOException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider at " + config.issuer()
                    + " has no usable discovery document (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (found.issuer() == null || !withoutSlash(found.issuer()).equals(issuer)) {
            throw new WritException(Exit.LOGIN_FAILED, "the discovery document of " + config.issuer()
                    + " names another issuer: " + found.issuer());
        }
        try {
            ClientConfig.requireSecureUrl("authorization endpoint", found.authorizationEndpoint());
            ClientConfig.requireSecureUrl("token endpoint", found.tokenEndpoint());
            if (found.deviceAuthorizationEndpoint() != null) {
                ClientConfig.requireSecureUrl("device authorization endpoint", found.deviceAuthorizationEndpoint());
            }
        } catch (IllegalArgumentException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider's " + e.getMessage());
        }
        metadata = found;
        return found;
    }

    /** Redeems an authorization code (RFC 6749 4.1.3) with its PKCE verifier (RFC 7636 4.5). */
    public TokenResponse exchangeCode(String code, URI redirectUri, String codeVerifier)
            throws WritException, OAuthErrorException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        form.put("redirect_uri", redirectUri.toString());
        form.put("client_id", config.clientId());
        form.put("code_verifier", codeVerifier);
        return tokens(post(metadata().tokenEndpoint(), form));
    }

    /** Starts a device authorization (RFC 8628 3.1). */
    public DeviceAuthorization authorizeDevice() throws WritException {
        String endpoint = metadata().deviceAuthorizationEndpoint();
        if (endpoint == null) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider " + config.issuer()
                    + " does not offer the device flow (no device_authorization_endpoint); use writ login without --device");
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_id", config.clientId());
        form.put("scope", String.join(" ", config.scopes()));
        HttpResponse<String> response = post(endpoint, form);
        try {
            if (response.statusCode() != 200) {
                throw oauthError(response);
            }
            DeviceAuthorization authorization = Json.MAPPER.readValue(response.body(), DeviceAuthorization.class);
            if (authorization.deviceCode() == null || authorization.userCode() == null || authorization.verificationUri() == null) {
                throw new IOException("device_code, user_code or verification_uri is missing");
            }
            return authorization;
        } catch (OAuthErrorException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider refused the device login: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider's device authorization answer is unusable: "
                    + e.getMessage(), e);
        }
    }

    /** One poll of the token endpoint for a device code (RFC 8628 3.4). */
    public TokenResponse pollDevice(String deviceCode) throws WritException, OAuthErrorException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", DEVICE_CODE_GRANT);
        form.put("device_code", deviceCode);
        form.put("client_id", config.clientId());
        return tokens(post(metadata().tokenEndpoint(), form));
    }

    /** A new ID token for a refresh token (RFC 6749 6, OIDC Core 12). */
    public TokenResponse refresh(String refreshToken) throws WritException, OAuthErrorException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        form.put("client_id", config.clientId());
        return tokens(post(metadata().tokenEndpoint(), form));
    }

    private TokenResponse tokens(HttpResponse<String> response) throws WritException, OAuthErrorException {
        if (response.statusCode() != 200) {
            throw oauthError(response);
        }
        try {
            return Json.MAPPER.readValue(response.body(), TokenResponse.class);
        } catch (IOException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider's token answer is not JSON", e);
        }
    }

    /** An OAuth error answer (RFC 6749 5.2); anything else is the provider failing. */
    private OAuthErrorException oauthError(HttpResponse<String> response) throws WritException {
        try {
            JsonNode body = Json.MAPPER.readTree(response.body());
            if (body != null && body.hasNonNull("error")) {
                return new OAuthErrorException(body.get("error").asText(),
                        body.hasNonNull("error_description") ? body.get("error_description").asText() : null);
            }
        } catch (IOException notJson) {
            // reported below
        }
        throw new WritException(Exit.LOGIN_FAILED, "the identity provider answered HTTP " + response.statusCode()
                + " at " + response.request().uri());
    }

    private HttpResponse<String> post(String endpoint, Map<String, String> form) throws WritException {
        String body = form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(URI.create(endpoint)).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> send(HttpRequest request) throws WritException {
        try {
            return Http.send(http, request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new WritException(Exit.IDP_UNREACHABLE, Http.unanswered("the identity provider", config.issuer(), e, timeout), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WritException(Exit.IDP_UNREACHABLE, "interrupted while waiting for the identity provider", e);
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String withoutSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
