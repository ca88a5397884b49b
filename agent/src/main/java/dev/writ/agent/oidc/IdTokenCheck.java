package dev.writ.agent.oidc;

import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Checks an ID token the token endpoint just gave us (OIDC Core 3.1.3.7): issuer, audience and
 * authorized party, expiry, and the {@code nonce} of our authentication request.
 *
 * <p>The signature is not checked here: the token came straight from the token endpoint over
 * TLS, which OIDC Core 3.1.3.7 (6) accepts in place of it, and the CA verifies every token's
 * signature against the issuer's JWKS before it certifies anything. The nonce is the check that
 * matters to the client: it ties the token to this login and no other.
 */
public final class IdTokenCheck {

    private static final int MAX_SKEW_SECONDS = 60;

    private IdTokenCheck() {
    }

    /** The checked token; {@code expectedNonce} null for grants without one (device code, refresh). */
    public static IdToken verify(String serialized, ClientConfig config, String expectedNonce, Clock clock)
            throws WritException {
        if (serialized == null || serialized.isBlank()) {
            throw rejected("the identity provider returned no ID token (is the openid scope granted?)");
        }
        JWTClaimsSet claims;
        try {
            claims = SignedJWT.parse(serialized).getJWTClaimsSet();
        } catch (ParseException e) {
            throw rejected("the identity provider returned an ID token that is not a signed JWT");
        }
        if (expectedNonce != null && !expectedNonce.equals(claims.getClaim("nonce"))) {
            throw rejected("the ID token's nonce does not match this login's request (a replayed or injected token?); login aborted");
        }
        if (!sameIssuer(String.valueOf(claims.getIssuer()), config.issuer())) {
            throw rejected("the ID token comes from " + claims.getIssuer() + ", not from " + config.issuer());
        }
        List<String> audience = claims.getAudience();
        if (audience.size() > 1 && !config.clientId().equals(claims.getClaim("azp"))) {
            throw rejected("the ID token has several audiences and its authorized party is not " + config.clientId());
        }
        var verifier = new DefaultJWTClaimsVerifier<SecurityContext>(Set.of(config.clientId()), null,
                Set.of("sub", "exp", "iat"), null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        verifier.setMaxClockSkew(MAX_SKEW_SECONDS);
        try {
            verifier.verify(claims, null);
            return IdToken.parse(serialized);
        } catch (BadJWTException | ParseException e) {
            throw rejected("the identity provider returned an ID token that fails the checks: " + e.getMessage());
        }
    }

    /** Exactly the configured issuer; a trailing slash is the only difference tolerated. */
    private static boolean sameIssuer(String a, String b) {
        return strip(a).equals(strip(b));
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static WritException rejected(String message) {
        return new WritException(Exit.LOGIN_FAILED, message);
    }
}
