package dev.writ.ca.store;

import java.time.Instant;

/** An audit event as stored, with its place in the hash chain; {@code details} is canonical JSON. */
public record StoredAuditEvent(long seq, Instant at, String type, String actor, String outcome, String clientAddress,
                               String details, String prevHash, String hash) {
}
