package dev.writ.agent.oidc;

import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The authorization code flow with PKCE and a loopback redirect (RFC 8252): build the request,
 * open a browser on it (or print it), wait for the redirect on 127.0.0.1, check {@code state},
 * redeem the code with the PKCE verifier, and check the ID token's {@code nonce}.
 */
public final class BrowserLogin {

    private final OidcClient oidc;
    private final Browser browser;
    private final PrintWriter out;
    private final Clock clock;
    private final Duration timeout;

    public BrowserLogin(OidcClient oidc, Browser browser, PrintWriter out, Clock clock, Duration timeout) {
        this.oidc = oidc;
        this.browser = browser;
        this.out = out;
        this.clock = clock;
        this.timeout = timeout;
    }

    public LoginResult run() throws WritException, InterruptedException {
        ProviderMetadata metadata = oidc.metadata();
        Pkce pkce = Pkce.create();
        String state = Pkce.random(24);
        String nonce = Pkce.random(24);
        try (LoopbackReceiver receiver = LoopbackReceiver.start()) {
            URI redirectUri = receiver.redirectUri();
            URI authorize = authorizationRequest(metadata, redirectUri, state, nonce, pkce);
            if (browser.open(authorize)) {
                out.println("Your browser has been opened to log in at " + oidc.config().issuer() + ". If it did not open, visit:");
            } else {
                out.println("Open this URL in a browser on this machine to log in (or use writ login --device):");
            }
            out.println("  " + authorize);
            out.flush();
            Map<String, String> answer = receiver.await(timeout).orElseThrow(() -> new WritException(Exit.LOGIN_TIMED_OUT,
                    "no answer from the browser within " + dev.writ.agent.Durations.format(timeout) + "; run writ login again"));
            return redeem(answer, state, nonce, pkce, redirectUri);
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot listen on 127.0.0.1 for the login redirect: " + e.getMessage(), e);
        }
    }

    private LoginResult redeem(Map<String, String> answer, String state, String nonce, Pkce pkce, URI redirectUri)
            throws WritException {
        // state first: an answer to someone else's request must not be acted on, not even an error
        if (!state.equals(answer.get("state"))) {
            throw new WritException(Exit.LOGIN_FAILED,
                    "the login redirect carries another state than this login's request (a forged or stale redirect?); login aborted");
        }
        if (answer.containsKey("error")) {
            String description = answer.get("error_description");
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider denied the login: " + answer.get("error")
                    + (description == null || description.isBlank() ? "" : " (" + description + ")"));
        }
        String code = answer.get("code");
        if (code == null || code.isBlank()) {
            throw new WritException(Exit.LOGIN_FAILED, "the login redirect carries no authorization code");
        }
        TokenResponse tokens;
        try {
            tokens = oidc.exchangeCode(code, redirectUri, pkce.verifier());
        } catch (OAuthErrorException e) {
            throw new WritException(Exit.LOGIN_FAILED, "the identity provider refused the authorization code: " + e.getMessage(), e);
        }
        IdToken idToken = IdTokenCheck.verify(tokens.idToken(), oidc.config(), nonce, clock);
        return new LoginResult(idToken, tokens.refreshToken());
    }

    /** URL query encoding with spaces as %20: a "+" means a space in forms only, and some servers read it literally. */
    private static String queryEncode(String value) {
        return OidcClient.encode(value).replace("+", "%20");
    }

    private URI authorizationRequest(ProviderMetadata metadata, URI redirectUri, String state, String nonce, Pkce pkce) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("response_type", "code");
        parameters.put("client_id", oidc.config().clientId());
        parameters.put("redirect_uri", redirectUri.toString());
        parameters.put("scope", String.join(" ", oidc.config().scopes()));
        parameters.put("state", state);
        parameters.put("nonce", nonce);
        parameters.put("code_challenge", pkce.challenge());
        parameters.put("code_challenge_method", "S256");
        String query = parameters.entrySet().stream()
                .map(e -> queryEncode(e.getKey()) + "=" + queryEncode(e.getValue()))
                .collect(Collectors.joining("&"));
        String endpoint = metadata.authorizationEndpoint();
        return URI.create(endpoint + (endpoint.contains("?") ? "&" : "?") + query);
    }
}
