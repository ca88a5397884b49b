package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * Body of {@code POST /v1/audit/bastion}: something that happened at a bastion, for the CA's
 * hash-chained audit log (a refused login, a session started or ended, a refused channel).
 *
 * @param type          one of {@link #TYPES}
 * @param outcome       {@code ok}, {@code refused} or {@code error}
 * @param actor         the engineer's identity (certificate key id), or {@code unknown}
 * @param clientAddress the address the engineer connected from
 * @param reason        a short machine-readable reason such as {@code certificate_expired}, for refusals
 * @param details       further facts: login, target, session id, serial, ... (never a key or secret)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BastionAuditEvent(
        @JsonProperty("type") String type,
        @JsonProperty("outcome") String outcome,
        @JsonProperty("actor") String actor,
        @JsonProperty("client_address") String clientAddress,
        @JsonProperty("reason") String reason,
        @JsonProperty("details") Map<String, String> details) {

    /** The event types a bastion reports. */
    public static final java.util.Set<String> TYPES = java.util.Set.of(
            "login.refused", "channel.refused", "session.started", "session.ended");

    public BastionAuditEvent {
        details = details == null ? Map.of() : new TreeMap<>(details);
    }
}
