package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code GET /v1/login-config}: everything {@code writ configure --ca URL} needs to log in.
 *
 * @param issuer   the OIDC issuer URL (discovery at issuer + /.well-known/openid-configuration)
 * @param clientId the public OIDC client id of the CLI
 * @param scopes   the scopes to ask for
 * @param bastion  the bastion's host:port, or null when none is configured
 * @param targets  the ssh_config host patterns ({@code *}, {@code ?}) of the targets reached through
 *                 the bastion, for {@code writ config}; empty when the CA names none
 */
public record LoginConfig(
        @JsonProperty("issuer") String issuer,
        @JsonProperty("client_id") String clientId,
        @JsonProperty("scopes") List<String> scopes,
        @JsonProperty("bastion") String bastion,
        @JsonProperty("targets") List<String> targets) {

    public LoginConfig {
        scopes = List.copyOf(scopes);
        targets = targets == null ? List.of() : List.copyOf(targets);
    }

    public LoginConfig(String issuer, String clientId, List<String> scopes, String bastion) {
        this(issuer, clientId, scopes, bastion, List.of());
    }
}
