package dev.writ.agent.oidc;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The parts of the issuer's discovery document ({@code /.well-known/openid-configuration}) that
 * the CLI uses. {@code device_authorization_endpoint} is absent at providers without RFC 8628.
 */
public record ProviderMetadata(
        @JsonProperty("issuer") String issuer,
        @JsonProperty("authorization_endpoint") String authorizationEndpoint,
        @JsonProperty("token_endpoint") String tokenEndpoint,
        @JsonProperty("device_authorization_endpoint") String deviceAuthorizationEndpoint) {
}
