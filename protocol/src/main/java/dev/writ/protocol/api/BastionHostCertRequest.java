package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code POST /v1/certs/bastion-host}: a bastion asks for a host certificate for its own
 * key, for its own names or for a target name it answers for when it intercepts ProxyJump.
 *
 * @param publicKey the bastion's host public key, one OpenSSH line
 * @param hostnames the names wanted; each must be allowed for this bastion in the CA's config
 */
public record BastionHostCertRequest(
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("hostnames") List<String> hostnames) {

    public BastionHostCertRequest {
        hostnames = hostnames == null ? null : List.copyOf(hostnames);
    }
}
