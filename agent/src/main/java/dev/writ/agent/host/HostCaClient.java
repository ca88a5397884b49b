package dev.writ.agent.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.HostCertRequest;
import dev.writ.protocol.api.HostRenewRequest;
import dev.writ.protocol.api.JoinTokenRequest;
import dev.writ.protocol.api.JoinTokenResponse;
import dev.writ.protocol.api.Problem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * The CA's host endpoints, over HTTPS verified against the system trust store (plain HTTP only to
 * a loopback address: tokens must not cross a network in clear text).
 */
final class HostCaClient {

    private static final Duration TIMEOUT = Http.REQUEST_TIMEOUT;
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // a newer CA may answer more

    private final URI ca;
    private final HttpClient http = Http.client(null);

    HostCaClient(String caUrl) throws HostCommandException {
        this.ca = checkedUrl(caUrl);
    }

    /** {@code https://...}, or {@code http://} to a loopback address; no query. */
    static URI checkedUrl(String caUrl) throws HostCommandException {
        URI uri;
        try {
            uri = new URI(caUrl.endsWith("/") ? caUrl.substring(0, caUrl.length() - 1) : caUrl);
        } catch (Exception e) {
            throw new HostCommandException(Exit.USAGE, "--ca '" + caUrl + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawUserInfo() != null
                || !(scheme.equals("https") || scheme.equals("http"))) {
            throw new HostCommandException(Exit.USAGE, "--ca must be the CA's base URL, such as https://ca.example.com, got '" + caUrl + "'");
        }
        if (scheme.equals("http") && !isLoopback(uri.getHost())) {
            throw new HostCommandException(Exit.USAGE, "--ca must use https: tokens are never sent in clear text (http only to a loopback address)");
        }
        return uri;
    }

    URI url() {
        return ca;
    }

    CertificateResponse hostCertificate(String authorization, HostCertRequest request) throws HostCommandException {
        return post("/v1/certs/host", authorization, request, CertificateResponse.class);
    }

    CertificateResponse renew(HostRenewRequest request) throws HostCommandException {
        return post("/v1/certs/host/renew", null, request, CertificateResponse.class);
    }

    JoinTokenResponse joinToken(String idToken, JoinTokenRequest request) throws HostCommandException {
        return post("/v1/join-tokens", "Bearer " + idToken, request, JoinTokenResponse.class);
    }

    /**
     * What sshd's {@code TrustedUserCAKeys} holds ({@code GET /v1/ca/user.pub}): writ's session CA, so
     * that only the bastion's session certificates log in (and the user CA where the CA opts in to
     * direct access).
     */
    String userCaKeys() throws HostCommandException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(endpoint("/v1/ca/user.pub")).timeout(TIMEOUT).GET());
        boolean keys = response.body().startsWith("ssh-") || response.body().startsWith("ecdsa-");
        if (response.statusCode() != 200 || !keys) {
            throw refused("GET /v1/ca/user.pub", response);
        }
        return response.body();
    }

    /** The host CA keys the CA publishes ({@code GET /v1/ca}), the one that signs now first. */
    java.util.List<String> hostCaKeys() throws HostCommandException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(endpoint("/v1/ca")).timeout(TIMEOUT).GET());
        if (response.statusCode() != 200) {
            throw refused("GET /v1/ca", response);
        }
        try {
            dev.writ.protocol.api.CaKeysResponse keys = JSON.readValue(response.body(), dev.writ.protocol.api.CaKeysResponse.class);
            return keys.host() == null ? java.util.List.of() : keys.host();
        } catch (IOException e) {
            throw refused("GET /v1/ca", response);
        }
    }

    private <T> T post(String path, String authorization, Object body, Class<T> answer) throws HostCommandException {
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(endpoint(path)).timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a request", e);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = send(request);
        if (response.statusCode() / 100 != 2) {
            throw refused("POST " + path, response);
        }
        try {
            return JSON.readValue(response.body(), answer);
        } catch (JsonProcessingException e) {
            throw new HostCommandException(Exit.CA_REFUSED, "the CA at " + ca + " answered POST " + path + " with something that is not "
                    + answer.getSimpleName());
        }
    }

    /** The endpoint under the CA's base URL, which may have a path of its own behind a proxy. */
    private URI endpoint(String path) {
        return URI.create(ca + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws HostCommandException {
        try {
            return Http.send(http, request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new HostCommandException(Exit.CA_UNREACHABLE, Http.unanswered("the CA", ca, e, TIMEOUT), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostCommandException(Exit.UNEXPECTED, "interrupted while talking to the CA", e);
        }
    }

    /** The CA's own words (its problem detail), or the status when it sent none. */
    private HostCommandException refused(String what, HttpResponse<String> response) {
        String detail = null;
        try {
            Problem problem = JSON.readValue(response.body(), Problem.class);
            detail = problem.detail();
        } catch (Exception notAProblem) {
            // answered below with the status alone
        }
        return new HostCommandException(Exit.CA_REFUSED, "the CA refused " + what + " (" + response.statusCode() + ")"
                + (detail == null ? "" : ": " + detail));
    }

    /** True for "localhost" and loopback literals; never asks DNS. */
    private static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
