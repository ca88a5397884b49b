package dev.writ.ca.http;

import io.javalin.security.RouteRole;

/** Who may call an endpoint. Every route names one; there is no default. */
enum Access implements RouteRole {
    /** Anyone, without credentials. */
    ANYONE,
    /** A bearer holding a valid OIDC ID token from a configured issuer. */
    OIDC,
    /** A bastion listed in the config, proving itself with a JWT signed by its own key. */
    BASTION
}
