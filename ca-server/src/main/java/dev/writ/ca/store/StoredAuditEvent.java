package dev.writ.ca.store;

import dev.writ.protocol.audit.AuditRecord;
import java.time.Instant;

/** An audit event as stored, with its place in the hash chain; {@code details} is canonical JSON. */
public record StoredAuditEvent(long seq, Instant at, String type, String actor, String outcome, String clientAddress,
                               String details, String prevHash, String hash) {

    /** The event as it travels in {@code GET /v1/audit} and as {@code AuditChain} checks it. */
    public AuditRecord toRecord() {
        return new AuditRecord(seq, at, type, actor, outcome, clientAddress, details, prevHash, hash);
    }
}
