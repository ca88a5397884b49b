package dev.writ.agent.ca;

import java.time.Instant;

/**
 * Which audit events to fetch; null fields do not filter.
 *
 * @param actor exactly this actor (an email, else a subject)
 * @param type  exactly this type, or every type that starts with the text before a final {@code *}
 * @param since at or after this time
 * @param until before this time
 */
public record AuditFilter(String actor, String type, Instant since, Instant until) {

    public static final AuditFilter ALL = new AuditFilter(null, null, null, null);
}
