package dev.writ.ca.access;

import java.util.List;

/**
 * Told when an access grant ends (it reached its end, or was ended early), after the change is
 * committed, with every certificate that carries the grant, so that they can be revoked and the
 * sessions using them closed. Called once per grant; must not block for long.
 */
public interface GrantEndedListener {

    /** Tells nobody. */
    GrantEndedListener NONE = (grantId, serials, reason) -> { };

    /**
     * @param grantId the access request id of the grant
     * @param serials the serials of the certificates issued with the grant (possibly none)
     * @param reason  why it ended, e.g. "reached its end" or "ended early by bob@example.com"
     */
    void grantEnded(String grantId, List<Long> serials, String reason);

    /** This listener, then {@code next}, even when this one fails. */
    default GrantEndedListener andThen(GrantEndedListener next) {
        return (grantId, serials, reason) -> {
            try {
                grantEnded(grantId, serials, reason);
            } finally {
                next.grantEnded(grantId, serials, reason);
            }
        };
    }
}
