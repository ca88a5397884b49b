package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code GET /v1/ca}: the trusted CA public keys, one OpenSSH line each, the signing key
 * first.
 *
 * @param user    the user CA: engineers' certificates, trusted by the bastions
 * @param session the session CA: the bastion's one-session certificates, trusted by the targets
 * @param host    the host CA: host certificates, trusted by clients and the bastion
 */
public record CaKeysResponse(@JsonProperty("user") List<String> user, @JsonProperty("session") List<String> session,
                             @JsonProperty("host") List<String> host) {

    public CaKeysResponse {
        user = List.copyOf(user);
        session = session == null ? List.of() : List.copyOf(session);
        host = List.copyOf(host);
    }
}
