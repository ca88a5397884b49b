package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Body of {@code POST /v1/certs/host/renew}.
 *
 * @param proof     a {@link RenewalProof}: a short JWT signed with the current host key, carrying the
 *                  current host certificate
 * @param publicKey a new host key to certify instead of the current one; the proof must name it
 *                  too (claim {@value RenewalProof#CLAIM_PUBLIC_KEY}), so nobody who relays the
 *                  proof can swap in a key of their own. Absent: the current key
 * @param hostnames a subset of the current certificate's hostnames; absent: all of them
 * @param ttl       requested lifetime; absent: the default of the host rule that first issued it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostRenewRequest(
        @JsonProperty("proof") String proof,
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("hostnames") List<String> hostnames,
        @JsonProperty("ttl") String ttl) {

    public HostRenewRequest {
        hostnames = hostnames == null ? null : Collections.unmodifiableList(new ArrayList<>(hostnames));
    }

    /** Leaves the proof out: it is a credential for as long as it lives. */
    @Override
    public String toString() {
        return "HostRenewRequest[publicKey=" + (publicKey == null ? "current" : "new") + ", hostnames=" + hostnames
                + ", ttl=" + ttl + "]";
    }
}
