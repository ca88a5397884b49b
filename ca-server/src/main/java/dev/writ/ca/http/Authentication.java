package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.session.BastionAssertions;
import dev.writ.ca.session.BastionRegistration;
import dev.writ.ca.token.TokenRejectedException;
import dev.writ.ca.token.TokenVerifier;
import dev.writ.ca.token.VerifiedToken;
import dev.writ.policy.Identity;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.util.Set;

/** Checks the credential each route asks for, before its handler runs. */
final class Authentication {

    private static final String TOKEN = "writ.token";
    private static final String BASTION = "writ.bastion";
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;

    private final TokenVerifier verifier;
    private final BastionAssertions bastions;

    Authentication(TokenVerifier verifier, BastionAssertions bastions) {
        this.verifier = verifier;
        this.bastions = bastions;
    }

    /** A before-matched handler: deny by default, a route without a known role is refused. */
    void check(Context ctx) throws RequestRefused {
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.contains(Access.ANYONE)) {
            return;
        }
        if (roles.contains(Access.OIDC)) {
            ctx.attribute(TOKEN, verify(ctx));
            return;
        }
        if (roles.contains(Access.BASTION)) {
            ctx.attribute(BASTION, bastions.verify(bearer(ctx, "a bastion assertion")));
            return;
        }
        throw RequestRefused.unauthorized("no_access_rule", "this endpoint is not open to this caller");
    }

    private VerifiedToken verify(Context ctx) throws RequestRefused {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw RequestRefused.unauthorized("missing_token", "an OIDC ID token is required: Authorization: Bearer <token>");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw RequestRefused.unauthorized("missing_token", "the Authorization header must use the Bearer scheme");
        }
        String token = header.substring(7).strip();
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw RequestRefused.unauthorized("invalid_token", "token rejected: malformed token");
        }
        try {
            return verifier.verify(token);
        } catch (TokenRejectedException e) {
            throw RequestRefused.unauthorized("invalid_token", "token rejected: " + e.getMessage());
        }
    }

    /** The bastion's signed assertion, from the same header as tokens (verified by {@link BastionAssertions}). */
    private static String bearer(Context ctx, String what) throws RequestRefused {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw RequestRefused.unauthorized("missing_token", what + " is required: Authorization: Bearer <jwt>");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw RequestRefused.unauthorized("missing_token", "the Authorization header must use the Bearer scheme");
        }
        return header.substring(7).strip();
    }

    /** The bastion that made this request; only on routes that require one. */
    static BastionRegistration bastion(Context ctx) {
        BastionRegistration bastion = ctx.attribute(BASTION);
        if (bastion == null) {
            throw new IllegalStateException("route has no BASTION access rule");
        }
        return bastion;
    }

    /** The verified token of this request; only on routes that require one. */
    static VerifiedToken token(Context ctx) {
        VerifiedToken token = ctx.attribute(TOKEN);
        if (token == null) {
            throw new IllegalStateException("route has no OIDC access rule");
        }
        return token;
    }

    /** Who made this request, for the audit log. */
    static String actor(Context ctx) {
        BastionRegistration bastion = ctx.attribute(BASTION);
        if (bastion != null) {
            return "bastion:" + bastion.name();
        }
        VerifiedToken token = ctx.attribute(TOKEN);
        return token == null ? "anonymous" : Identity.fromClaims(token.issuer(), token.claims()).name();
    }
}
