package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Body of {@code POST /v1/certs/host}. Everything in it is requested, not proven: the CA checks
 * it against what the workload token (or join token) and the host rules allow.
 *
 * @param publicKey the host key to certify, one OpenSSH public-key line
 * @param hostnames the hostnames the certificate should name (its principals), exact DNS names
 * @param ttl       requested lifetime such as {@code "7d"}; absent means the host rule's default
 */
public record HostCertRequest(
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("hostnames") List<String> hostnames,
        @JsonProperty("ttl") String ttl) {

    public HostCertRequest {
        // a copy that keeps null elements: the CA refuses them with a message, not a parse error
        hostnames = hostnames == null ? null : Collections.unmodifiableList(new ArrayList<>(hostnames));
    }
}
