package dev.writ.protocol.audit;

import dev.writ.protocol.audit.AuditChain.Verification;
import java.security.PublicKey;
import java.util.Iterator;
import java.util.List;

/**
 * Follows a contiguous run of audit events, one at a time, and checks it two ways: the hash
 * chain itself ({@link AuditChain}: no gap, each event following the one before, each hash
 * matching its fields), and the signed checkpoints that fall inside the run (each signed by the
 * audit key, each naming the hash the chain has at its sequence number). The first catches an
 * edited event; only the second catches an edited event whose later hashes were all recomputed.
 * Holds no events, so a run of any length takes constant memory.
 */
public final class CheckpointedChain {

    private final PublicKey auditKey;
    private final Iterator<AuditCheckpoint> checkpoints;
    private AuditCheckpoint nextCheckpoint;
    private long expectedSeq;
    private String prevHash;
    private long checked;
    private long lastMatchedSeq;
    private AuditCheckpoint lastMatched;
    private boolean brokenByCheckpoint;

    /**
     * @param firstSeq    the first event's sequence number
     * @param prevHash    the hash of event {@code firstSeq - 1} ({@link AuditChain#GENESIS} before event 1)
     * @param checkpoints the checkpoints to meet on the way, in sequence order
     */
    public CheckpointedChain(long firstSeq, String prevHash, List<AuditCheckpoint> checkpoints, PublicKey auditKey) {
        this.auditKey = auditKey;
        this.checkpoints = checkpoints.iterator();
        this.nextCheckpoint = this.checkpoints.hasNext() ? this.checkpoints.next() : null;
        this.expectedSeq = firstSeq;
        this.prevHash = prevHash;
        this.lastMatchedSeq = firstSeq - 1;
    }

    /** Checks the next event; the first problem, or null when it follows. */
    public Verification accept(AuditRecord event) {
        if (nextCheckpoint != null && nextCheckpoint.seq() < expectedSeq) {
            return broken(nextCheckpoint.seq(), "a checkpoint names event " + nextCheckpoint.seq()
                    + ", which is out of order or before the events checked");
        }
        if (event.seq() != expectedSeq) {
            return broken(expectedSeq, "event " + expectedSeq + " is missing");
        }
        if (!event.prevHash().equals(prevHash)) {
            return broken(event.seq(), "event " + event.seq() + " does not follow the previous event (prev_hash differs)");
        }
        if (!AuditChain.hash(event).equals(event.hash())) {
            return broken(event.seq(), "event " + event.seq() + " was altered (hash differs)");
        }
        if (nextCheckpoint != null && nextCheckpoint.seq() == event.seq()) {
            Verification checkpoint = meet(nextCheckpoint, event);
            if (checkpoint != null) {
                return checkpoint;
            }
            lastMatchedSeq = event.seq();
            lastMatched = nextCheckpoint;
            nextCheckpoint = checkpoints.hasNext() ? checkpoints.next() : null;
        }
        prevHash = event.hash();
        expectedSeq++;
        checked++;
        return null;
    }

    private Verification meet(AuditCheckpoint checkpoint, AuditRecord event) {
        brokenByCheckpoint = true; // until it passes
        if (!checkpoint.verify(auditKey)) {
            return broken(event.seq(), "the checkpoint at event " + event.seq() + " does not carry a valid signature of"
                    + " the audit key");
        }
        if (!checkpoint.hash().equals(event.hash())) {
            long from = lastMatchedSeq + 1;
            return broken(event.seq(), "event " + event.seq() + " differs from the checkpoint signed at " + checkpoint.at()
                    + ": the chain was rewritten after that checkpoint, in " + (from == event.seq()
                    ? "event " + from : "events " + from + " to " + event.seq()));
        }
        brokenByCheckpoint = false;
        return null;
    }

    /** Checkpoints not met yet, though the events they name should have come: the first one's sequence, else null. */
    public Long unmetCheckpoint() {
        return nextCheckpoint == null ? null : nextCheckpoint.seq();
    }

    /** Whether the problem {@link #accept} returned is a checkpoint's (a bad signature, another hash), not the chain's. */
    public boolean brokenByCheckpoint() {
        return brokenByCheckpoint;
    }

    /** Events that passed. */
    public long checked() {
        return checked;
    }

    /** The newest checkpoint that matched, or null. */
    public AuditCheckpoint lastMatched() {
        return lastMatched;
    }

    /** The sequence number of the last event that passed. */
    public long lastSeq() {
        return expectedSeq - 1;
    }

    private Verification broken(long seq, String problem) {
        return Verification.broken(checked, seq, problem);
    }
}
