package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code POST /v1/certs/user}. Everything in it is requested, not proven: the CA checks
 * it against what the token and the policy allow.
 *
 * @param publicKey  the key to certify, one OpenSSH public-key line
 * @param ttl        requested lifetime such as {@code "1h"}; absent means the role's default
 * @param principals requested subset of the allowed principals; absent means all of them
 */
public record UserCertRequest(
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("ttl") String ttl,
        @JsonProperty("principals") List<String> principals) {

    public UserCertRequest {
        principals = principals == null ? null : List.copyOf(principals);
    }
}
