package dev.writ.ca.store;

import java.time.Instant;

/**
 * A filter over the audit log; every field but {@code afterSeq} and {@code limit} is optional.
 *
 * @param actor    exactly this actor
 * @param type     exactly this type, or every type starting with the text before a final {@code *}
 *                 ({@code access.*})
 * @param since    events at or after this time
 * @param until    events before this time
 * @param afterSeq events with a greater sequence number (0: from the start)
 * @param limit    at most this many, oldest first
 */
public record AuditQuery(String actor, String type, Instant since, Instant until, long afterSeq, int limit) {

    public AuditQuery {
        if (afterSeq < 0 || limit < 1) {
            throw new IllegalArgumentException("after_seq must not be negative and limit must be positive");
        }
    }

    public static AuditQuery all(long afterSeq, int limit) {
        return new AuditQuery(null, null, null, null, afterSeq, limit);
    }

    /** A LIKE pattern for a type ending in '*', else null. */
    String typePrefixPattern() {
        if (type == null || !type.endsWith("*")) {
            return null;
        }
        String prefix = type.substring(0, type.length() - 1);
        return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }
}
