package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Body of {@code GET /v1/ca}: the trusted CA public keys, one OpenSSH line each. */
public record CaKeysResponse(@JsonProperty("user") List<String> user, @JsonProperty("host") List<String> host) {

    public CaKeysResponse {
        user = List.copyOf(user);
        host = List.copyOf(host);
    }
}
