package dev.writ.ca.testing;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/** A real OIDC issuer over HTTP on loopback (mock-oauth2-server), issuing ID tokens for tests. */
public final class TestIdp implements AutoCloseable {

    public static final String ISSUER_ID = "idp";
    private final MockOAuth2Server server;

    public TestIdp() throws Exception {
        this(null);
    }

    /** An issuer whose tokens say they were issued at {@code clock}'s time: for a CA on the same injected clock. */
    public TestIdp(Clock clock) throws Exception {
        server = clock == null ? new MockOAuth2Server()
                : new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(clock::instant)));
        server.start(InetAddress.getByName("127.0.0.1"), 0);
        warmUp();
    }

    /**
     * Serves the discovery document and key set once before any CA asks: the first answers of a
     * fresh mock server are slow, and on a loaded machine they can exceed the CA's 2 s fetch timeout.
     */
    private void warmUp() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        for (String path : List.of("/.well-known/openid-configuration", "/jwks")) {
            http.send(HttpRequest.newBuilder(URI.create(issuerUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
    }

    public String issuerUrl() {
        return issuerUrl(ISSUER_ID);
    }

    public String issuerUrl(String issuerId) {
        String url = server.issuerUrl(issuerId).toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public MockOAuth2Server server() {
        return server;
    }

    /** An ID token for audience {@code writ} with the given email and groups, valid one hour. */
    public String idToken(String email, List<String> groups) {
        return idToken(email, Map.of("email", email, "groups", groups));
    }

    public String idToken(String subject, Map<String, Object> claims) {
        return server.issueToken(ISSUER_ID, subject, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "JWT",
                List.of("writ"), claims, 3600)).serialize();
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
