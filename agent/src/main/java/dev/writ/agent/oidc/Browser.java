package dev.writ.agent.oidc;

import java.net.URI;

/** Opens the identity provider's login page for the user. Tests drive the page with an HTTP client. */
@FunctionalInterface
public interface Browser {

    /** Starts a browser on {@code uri} without waiting for it; false when there is none to start. */
    boolean open(URI uri);
}
