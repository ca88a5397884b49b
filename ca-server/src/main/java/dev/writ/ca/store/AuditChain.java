package dev.writ.ca.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The hash chain over the audit log: each event's hash covers the previous event's hash and
 * every stored field, length-prefixed so that no two different events hash alike.
 */
public final class AuditChain {

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

    /** Result of {@link #verify}: {@code ok} or the first sequence number where the chain breaks and why. */
    public record Verification(boolean ok, long events, Long brokenAt, String problem) {
        static Verification passed(long events) {
            return new Verification(true, events, null, null);
        }

        static Verification broken(long events, long seq, String problem) {
            return new Verification(false, events, seq, problem);
        }
    }

    /** Checks a whole log, in sequence order, against the stored head. */
    public static Verification verify(List<StoredAuditEvent> events, Long headSeq, String headHash) {
        String prev = GENESIS;
        long expectedSeq = 1;
        for (StoredAuditEvent event : events) {
            if (event.seq() != expectedSeq) {
                return Verification.broken(events.size(), expectedSeq, "event " + expectedSeq + " is missing");
            }
            if (!event.prevHash().equals(prev)) {
                return Verification.broken(events.size(), event.seq(), "event " + event.seq()
                        + " does not follow the previous event (prev_hash differs)");
            }
            String recomputed = hash(event.prevHash(), event.seq(), event.at().toEpochMilli(), event.type(), event.actor(),
                    event.outcome(), event.clientAddress(), event.details());
            if (!recomputed.equals(event.hash())) {
                return Verification.broken(events.size(), event.seq(), "event " + event.seq() + " was altered (hash differs)");
            }
            prev = event.hash();
            expectedSeq++;
        }
        long last = expectedSeq - 1;
        if (headSeq == null ? last != 0 : (headSeq != last || !headHash.equals(prev))) {
            return Verification.broken(events.size(), last + 1, "the log ends at event " + last + " but its head records event "
                    + (headSeq == null ? 0 : headSeq) + ": events were removed from the end");
        }
        return Verification.passed(events.size());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
