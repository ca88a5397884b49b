package dev.writ.protocol.api;

import java.time.Duration;

/**
 * How a bastion proves itself to the CA (RFC 7523 style): on every call, a JWT in
 * {@code Authorization: Bearer}, signed with the bastion's own key (EdDSA for Ed25519, ES256 for
 * ECDSA P-256) whose public half the CA's config lists. {@code iss} and {@code sub} are the
 * bastion's name, {@code aud} is {@link #AUDIENCE}, {@code jti} is unique, and {@code exp} is at
 * most {@link #MAX_LIFETIME} after {@code iat}. No shared secret exists anywhere.
 */
public final class BastionAssertion {

    public static final String AUDIENCE = "writ-ca";
    public static final Duration MAX_LIFETIME = Duration.ofSeconds(60);

    private BastionAssertion() {
    }
}
