package dev.writ.agent.testing;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;

/**
 * A real OpenID Connect provider over HTTP (NAV's mock-oauth2-server) with the authorization
 * code flow, PKCE and refresh tokens, that logs in one user: every token it issues for issuer
 * {@value #ISSUER_ID} carries that user's claims and audience {@code writ}, unless a test names
 * someone else for the next login ({@link #nextLoginAs}).
 */
public final class MockIdp implements AutoCloseable {

    public static final String ISSUER_ID = "idp";
    private final MockOAuth2Server server;
    private final long tokenSeconds;

    public MockIdp(String subject, Map<String, Object> claims, long tokenSeconds) throws Exception {
        this.tokenSeconds = tokenSeconds;
        var user = new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "JWT", List.of("writ"), claims, tokenSeconds);
        server = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(), Set.of(user)));
        server.start(InetAddress.getByName("127.0.0.1"), 0);
    }

    /** alice@example.com in group engineering, with ID tokens valid an hour. */
    public static MockIdp alice() throws Exception {
        return new MockIdp("alice", Map.of("email", "alice@example.com", "groups", List.of("engineering")), 3600);
    }

    /**
     * The next token the provider issues (the next {@code writ login}) is for {@code email}, in
     * {@code groups}; the ones after are for the default user again. For tests with several people.
     */
    public void nextLoginAs(String email, List<String> groups) {
        server.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, email, "JWT", List.of("writ"),
                Map.of("email", email, "groups", groups), tokenSeconds));
    }

    public String issuerUrl() {
        String url = server.issuerUrl(ISSUER_ID).toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public MockOAuth2Server server() {
        return server;
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
