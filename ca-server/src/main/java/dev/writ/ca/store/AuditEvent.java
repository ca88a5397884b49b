package dev.writ.ca.store;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Something that happened, to be appended to the audit log.
 *
 * @param type          dotted name such as {@code certificate.issued}, {@code certificate.refused}
 * @param actor         who acted: an identity, {@code anonymous}, a bastion name
 * @param outcome       ok, refused or error
 * @param clientAddress where the request came from, when known
 * @param details       further facts (never a token or a private key)
 */
public record AuditEvent(Instant at, String type, String actor, Outcome outcome, String clientAddress,
                         Map<String, Object> details) {

    public enum Outcome { ok, refused, error }

    public AuditEvent {
        if (at == null || type == null || actor == null || outcome == null) {
            throw new IllegalArgumentException("at, type, actor and outcome are required");
        }
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(details));
    }
}
