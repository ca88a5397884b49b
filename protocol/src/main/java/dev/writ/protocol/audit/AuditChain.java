package dev.writ.protocol.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The hash chain over the audit log: each event's hash covers the previous event's hash and
 * every stored field, length-prefixed so that no two different events hash alike. Pure, so that
 * the CA that writes the log and a client that downloaded it check it the same way.
 */
public final class AuditChain {

    /** The {@code prev_hash} of the first event. */
    public static final String GENESIS = "0".repeat(64);

    private AuditChain() {
    }

    public static String hash(String prevHash, long seq, long atMillis, String type, String actor, String outcome,
                              String clientAddress, String details) {
        MessageDigest sha256 = sha256();
        for (String field : new String[] {prevHash, Long.toString(seq), Long.toString(atMillis), type, actor, outcome,
                clientAddress == null ? "" : clientAddress, details}) {
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            sha256.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            sha256.update(bytes);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** The hash the record should carry, recomputed from its own fields and {@code prev_hash}. */
    public static String hash(AuditRecord r) {
        return hash(r.prevHash(), r.seq(), r.at().toEpochMilli(), r.type(), r.actor(), r.outcome(), r.clientAddress(),
                r.details());
    }

    /**
     * Result of a check: {@code ok}, or the first sequence number where the chain breaks and why.
     * Also the body of {@code GET /v1/audit/verify}.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Verification(@JsonProperty("ok") boolean ok, @JsonProperty("events") long events,
                               @JsonProperty("broken_at") Long brokenAt, @JsonProperty("problem") String problem) {
        public static Verification passed(long events) {
            return new Verification(true, events, null, null);
        }

        public static Verification broken(long events, long seq, String problem) {
            return new Verification(false, events, seq, problem);
        }
    }

    /** Checks a whole log, from event 1 in sequence order, against the head the store records. */
    public static Verification verify(List<AuditRecord> events, Long headSeq, String headHash) {
        Verification chain = verifyFrom(events, 1, GENESIS);
        if (!chain.ok()) {
            return chain;
        }
        long last = events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        String lastHash = events.isEmpty() ? GENESIS : events.get(events.size() - 1).hash();
        if (headSeq == null ? last != 0 : (headSeq != last || !headHash.equals(lastHash))) {
            return Verification.broken(events.size(), last + 1, "the log ends at event " + last
                    + " but its head records event " + (headSeq == null ? 0 : headSeq) + ": events were removed from the end");
        }
        return chain;
    }

    /**
     * Checks a contiguous run of events, such as one page of {@code GET /v1/audit?after_seq=N}:
     * sequence numbers without gaps from {@code firstSeq}, each event following {@code prevHash}
     * (the hash of event {@code firstSeq - 1}; {@link #GENESIS} before event 1) and the one before
     * it, and each hash matching the event's fields.
     */
    public static Verification verifyFrom(List<AuditRecord> events, long firstSeq, String prevHash) {
        String prev = prevHash;
        long expectedSeq = firstSeq;
        for (AuditRecord event : events) {
            if (event.seq() != expectedSeq) {
                return Verification.broken(events.size(), expectedSeq, "event " + expectedSeq + " is missing");
            }
            if (!event.prevHash().equals(prev)) {
                return Verification.broken(events.size(), event.seq(), "event " + event.seq()
                        + " does not follow the previous event (prev_hash differs)");
            }
            if (!hash(event).equals(event.hash())) {
                return Verification.broken(events.size(), event.seq(), "event " + event.seq() + " was altered (hash differs)");
            }
            prev = event.hash();
            expectedSeq++;
        }
        return Verification.passed(events.size());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
