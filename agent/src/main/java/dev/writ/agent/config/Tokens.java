package dev.writ.agent.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The contents of {@code tokens.json}. Both tokens are secrets: {@link #toString()} leaves them out.
 *
 * @param idToken         the latest OIDC ID token (a JWT), shown to the CA as a Bearer token
 * @param refreshToken    the refresh token, or null when the identity provider gave none
 * @param refreshRejected why the identity provider refused the refresh token, once it has; a new
 *                        {@code writ login} replaces the file and so clears it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Tokens(
        @JsonProperty("id_token") String idToken,
        @JsonProperty("refresh_token") String refreshToken,
        @JsonProperty("refresh_rejected") String refreshRejected) {

    public Tokens withRefreshRejected(String reason) {
        return new Tokens(idToken, refreshToken, reason);
    }

    @Override
    public String toString() {
        return "Tokens[id_token=<redacted>, refresh_token=" + (refreshToken == null ? "none" : "<redacted>")
                + (refreshRejected == null ? "" : ", refresh_rejected=" + refreshRejected) + "]";
    }
}
