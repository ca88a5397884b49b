package dev.writ.bastion.observe;

import java.util.concurrent.CompletionStage;

/** What an observer may do to the session its channel belongs to. */
public interface SessionControl {

    /**
     * Ends the whole session: the engineer reads {@code message} on every terminal of it, and the
     * session ends with {@code reason} in the audit log and the metrics. Returns at once.
     */
    void end(String reason, String message);

    /**
     * A channel's recording, settled once it is written out (or given up): the session's end event
     * in the audit log waits for it (a few seconds at most) and reports what was lost.
     */
    void recording(CompletionStage<RecordingLoss> settled);

    /**
     * Why the bastion is ending the session, once it decided to (revocation, expiry, idle timeout,
     * an admin, a failed strict recording); null before, and when the session ends because one of
     * its sides closed it. A channel that closes after the bastion decided closes because of it.
     */
    default EndReason ending() {
        return null;
    }

    /** Does nothing. */
    SessionControl NONE = new SessionControl() {
        @Override
        public void end(String reason, String message) {
        }

        @Override
        public void recording(CompletionStage<RecordingLoss> settled) {
        }
    };
}
