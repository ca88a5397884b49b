package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.host.HostCredential;
import dev.writ.ca.host.JoinTokens;
import dev.writ.ca.session.BastionAssertions;
import dev.writ.ca.session.BastionRegistration;
import dev.writ.ca.token.TokenRejectedException;
import dev.writ.ca.token.TokenVerifier;
import dev.writ.ca.token.VerifiedToken;
import dev.writ.policy.Identity;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.util.Set;

/** Checks the credential each route asks for, before its handler runs. */
final class Authentication {

    private static final String TOKEN = "writ.token";
    private static final String HOST_CREDENTIAL = "writ.host-credential";
    private static final String BASTION = "writ.bastion";
    private static final String CHECKING = "writ.checking";
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;

    private final TokenVerifier verifier;
    private final Supplier<Policy> policy;
    private final BastionAssertions bastions;

    Authentication(TokenVerifier verifier, Supplier<Policy> policy, BastionAssertions bastions) {
        this.verifier = verifier;
        this.policy = policy;
        this.bastions = bastions;
    }

    /**
     * A before-matched handler: deny by default, a route without a known role is refused. While
     * it runs the request is marked, so that a refusal it throws is known to be its own.
     */
    void check(Context ctx) throws RequestRefused {
        ctx.attribute(CHECKING, true);
        checkRoles(ctx);
        ctx.attribute(CHECKING, null);
    }

    private void checkRoles(Context ctx) throws RequestRefused {
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.contains(Access.ANYONE)) {
            return;
        }
        if (roles.contains(Access.OIDC)) {
            ctx.attribute(TOKEN, verify(ctx));
            return;
        }
        if (roles.contains(Access.ADMIN)) {
            VerifiedToken token = verify(ctx);
            ctx.attribute(TOKEN, token);
            Identity identity = Identity.fromClaims(token.issuer(), token.claims());
            if (!policy.get().isAdmin(identity)) {
                throw RequestRefused.forbidden("not_admin", identity.name() + " is not a writ admin");
            }
            return;
        }
        if (roles.contains(Access.HOST)) {
            HostCredential credential = readHostCredential(ctx);
            if (credential instanceof HostCredential.Workload workload) {
                ctx.attribute(TOKEN, workload.token());
            }
            ctx.attribute(HOST_CREDENTIAL, credential);
            return;
        }
        if (roles.contains(Access.HOST_PROOF)) {
            return; // the proof is in the body: HostRenewalService verifies it before anything else
        }
        if (roles.contains(Access.AUDITOR)) {
            ctx.attribute(TOKEN, verify(ctx));
            if (!policy.get().isAuditor(identity(ctx))) {
                throw RequestRefused.forbidden("not_an_auditor", ctx.path().startsWith("/v1/recordings")
                        ? "only auditors may review recordings" : ctx.path().startsWith("/v1/sessions")
                        ? "only auditors may list live sessions" : "only auditors may read the audit log");
            }
            return;
        }
        if (roles.contains(Access.BASTION)) {
            ctx.attribute(BASTION, bastions.verify(bearer(ctx, "a bastion assertion")));
            return;
        }
        throw RequestRefused.unauthorized("no_access_rule", "this endpoint is not open to this caller");
    }

    private VerifiedToken verify(Context ctx) throws RequestRefused {
        return verifyBearer(bearer(ctx));
    }

    private static String bearer(Context ctx) throws RequestRefused {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw RequestRefused.unauthorized("missing_token", ctx.routeRoles().contains(Access.BASTION)
                    ? "a bastion token is required: Authorization: Bearer <jwt>"
                    : "an OIDC ID token is required: Authorization: Bearer <token>");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw RequestRefused.unauthorized("missing_token", "the Authorization header must use the Bearer scheme");
        }
        return header.substring(7).strip();
    }

    private VerifiedToken verifyBearer(String token) throws RequestRefused {
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw RequestRefused.unauthorized("invalid_token", "token rejected: malformed token");
        }
        try {
            return verifier.verify(token);
        } catch (TokenRejectedException e) {
            throw RequestRefused.unauthorized("invalid_token", "token rejected: " + e.getMessage());
        }
    }

    /** A workload token, verified here like any ID token, or a join token, which the host service looks up and spends. */
    private HostCredential readHostCredential(Context ctx) throws RequestRefused {
        String header = ctx.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new HostCredential.Workload(verifyBearer(header.substring(7).strip()));
        }
        if (header != null && header.regionMatches(true, 0, "JoinToken ", 0, 10)) {
            String secret = header.substring(10).strip();
            if (!JoinTokens.wellFormed(secret)) {
                throw RequestRefused.unauthorized("join_token_rejected", "join token rejected: malformed token");
            }
            return new HostCredential.JoinTokenSecret(secret);
        }
        throw RequestRefused.unauthorized("missing_token", "a workload OIDC token (Authorization: Bearer <token>)"
                + " or a join token (Authorization: JoinToken <token>) is required");
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

    /** The workload or join token of this request; only on routes with {@link Access#HOST}. */
    static HostCredential hostCredential(Context ctx) {
        HostCredential credential = ctx.attribute(HOST_CREDENTIAL);
        if (credential == null) {
            throw new IllegalStateException("route has no HOST access rule");
        }
        return credential;
    }

    /** Whether this request was refused by {@link #check} itself, before any handler ran. */
    static boolean refusedByAuthentication(Context ctx) {
        return Boolean.TRUE.equals(ctx.attribute(CHECKING));
    }

    /** Whether a bastion proved itself on this request. */
    static boolean isBastion(Context ctx) {
        return ctx.attribute(BASTION) != null;
    }

    /** The identity the verified token of this request proved; only on routes that require one. */
    static Identity identity(Context ctx) {
        VerifiedToken token = token(ctx);
        return Identity.fromClaims(token.issuer(), token.claims());
    }

    /** Who made this request, for the audit log. */
    static String actor(Context ctx) {
        BastionRegistration bastion = ctx.attribute(BASTION);
        if (bastion != null) {
            return "bastion:" + bastion.name();
        }
        VerifiedToken token = ctx.attribute(TOKEN);
        if (token != null) {
            return Identity.fromClaims(token.issuer(), token.claims()).name();
        }
        return ctx.attribute(HOST_CREDENTIAL) instanceof HostCredential.JoinTokenSecret joinToken
                ? "join-token:" + joinToken.id() : "anonymous";
    }
}
