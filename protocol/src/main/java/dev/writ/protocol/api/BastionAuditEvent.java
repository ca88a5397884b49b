package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * Something that happened at a bastion, for the CA's hash-chained audit log (a refused login, a
 * session started or ended, a refused channel): one of a {@link BastionAuditBatch}, or alone the
 * body of {@code POST /v1/audit/bastion}.
 *
 * @param id            {@code <bastion>:<stream>:<seq>}, given by the bastion's audit spool: the CA stores each id
 *                      once, so a batch sent again after a lost answer is not logged twice; {@code seq} counts
 *                      from 1 in the spool's {@code stream} (a random word, new when a spool is created), so the
 *                      order per bastion can be checked. Absent from bastions that predate the spool.
 * @param at            when it happened at the bastion (ISO-8601); it may be long before the upload
 * @param type          one of {@link #TYPES}
 * @param outcome       {@code ok}, {@code refused} or {@code error}
 * @param actor         the engineer's identity (certificate key id), or {@code unknown}
 * @param clientAddress the address the engineer connected from
 * @param reason        a short machine-readable reason such as {@code certificate_expired}, for refusals
 * @param details       further facts: login, target, session id, serial, ... (never a key or secret)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BastionAuditEvent(
        @JsonProperty("id") String id,
        @JsonProperty("at") String at,
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

    /** The event as the bastion saw it, before its spool gives it an id and a time. */
    public BastionAuditEvent(String type, String outcome, String actor, String clientAddress, String reason,
                             Map<String, String> details) {
        this(null, null, type, outcome, actor, clientAddress, reason, details);
    }

    /** The same event with the spool's id and the time it happened. */
    public BastionAuditEvent spooled(String id, String at) {
        return new BastionAuditEvent(id, at, type, outcome, actor, clientAddress, reason, details);
    }
}
