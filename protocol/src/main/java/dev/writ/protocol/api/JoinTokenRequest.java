package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Body of {@code POST /v1/join-tokens} (admins only): a one-time token that lets a machine
 * without a workload identity obtain a host certificate for the named hostnames.
 *
 * @param hostnames the exact hostnames the token may be spent on
 * @param ttl       how long the token may be used, such as {@code "30m"}; absent means 30 minutes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JoinTokenRequest(
        @JsonProperty("hostnames") List<String> hostnames,
        @JsonProperty("ttl") String ttl) {

    public JoinTokenRequest {
        hostnames = hostnames == null ? null : Collections.unmodifiableList(new ArrayList<>(hostnames));
    }
}
