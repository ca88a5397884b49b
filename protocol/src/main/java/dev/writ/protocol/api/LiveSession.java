package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A session open at a bastion right now, as the bastion reports it ({@code POST /v1/bastion/sync})
 * and as {@code GET /v1/sessions} lists it.
 *
 * @param id            the session id the bastion gave it (also in the session certificate's key id and the recordings)
 * @param identity      the engineer (the user certificate's key id)
 * @param login         the login at the target
 * @param target        the target's name
 * @param clientAddress where the engineer connected from
 * @param started       when the session started, ISO-8601 UTC
 * @param serial        the user certificate's serial, unsigned decimal
 * @param bastion       the bastion holding it: set by the CA from the bastion's credential, never by the bastion
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LiveSession(
        @JsonProperty("id") String id,
        @JsonProperty("identity") String identity,
        @JsonProperty("login") String login,
        @JsonProperty("target") String target,
        @JsonProperty("client_address") String clientAddress,
        @JsonProperty("started") String started,
        @JsonProperty("serial") String serial,
        @JsonProperty("bastion") String bastion) {

    /** The same session, as held by the named bastion. */
    public LiveSession at(String bastionName) {
        return new LiveSession(id, identity, login, target, clientAddress, started, serial, bastionName);
    }
}
