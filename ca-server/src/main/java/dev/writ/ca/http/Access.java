package dev.writ.ca.http;

import io.javalin.security.RouteRole;

/** Who may call an endpoint. Every route names one; there is no default. */
enum Access implements RouteRole {
    /** Anyone, without credentials. */
    ANYONE,
    /** A bearer holding a valid OIDC ID token from a configured issuer. */
    OIDC,
    /** A bearer of a valid OIDC ID token whose identity the policy names as an admin. */
    ADMIN,
    /** A machine: a workload OIDC token ({@code Bearer}) or a one-time join token ({@code JoinToken}). */
    HOST,
    /**
     * A machine proving possession of its host key and certificate. The proof travels in the
     * body, so the renewal service checks it, before anything else.
     */
    HOST_PROOF,
    /** An OIDC bearer whom the policy's {@code auditors} section names. */
    AUDITOR,
    /**
     * A bastion of the config, proving itself with a JWT signed by its own key. (A stand-in for
     * the bastion branch's role of the same name; see {@code recording.BastionAuthenticator}.)
     */
    BASTION
}
