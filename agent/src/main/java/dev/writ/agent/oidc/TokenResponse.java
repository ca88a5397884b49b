package dev.writ.agent.oidc;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A successful answer of the token endpoint. The tokens are secrets: {@link #toString()} leaves them out. */
public record TokenResponse(
        @JsonProperty("id_token") String idToken,
        @JsonProperty("refresh_token") String refreshToken,
        @JsonProperty("token_type") String tokenType) {

    @Override
    public String toString() {
        return "TokenResponse[id_token=" + (idToken == null ? "none" : "<redacted>")
                + ", refresh_token=" + (refreshToken == null ? "none" : "<redacted>") + "]";
    }
}
