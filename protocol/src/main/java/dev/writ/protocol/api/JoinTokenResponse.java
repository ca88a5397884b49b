package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the CA answers when it created a join token. The token is shown this once: the CA keeps
 * only its SHA-256.
 *
 * @param token     the secret, for {@code Authorization: JoinToken <token>}
 * @param expiresAt when it stops being accepted, RFC 3339
 */
public record JoinTokenResponse(
        @JsonProperty("token") String token,
        @JsonProperty("expires_at") String expiresAt) {

    /** Leaves the secret out. */
    @Override
    public String toString() {
        return "JoinTokenResponse[expiresAt=" + expiresAt + "]";
    }
}
