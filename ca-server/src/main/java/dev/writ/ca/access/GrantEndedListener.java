package dev.writ.ca.access;

import java.util.List;

/**
 * Told when an access grant ends (it reached its end, or was ended early), after the change is
 * committed, with every certificate that carries the grant, so that they can be revoked and the
 * sessions using them closed. Called once per grant; must not block for long.
 */
public interface GrantEndedListener {

    /**
     * @param grantId the access request id of the grant
     * @param serials the serials of the certificates issued with the grant (possibly none)
     * @param reason  why it ended, e.g. "reached its end" or "ended early by bob@example.com"
     */
    void grantEnded(String grantId, List<Long> serials, String reason);
}
