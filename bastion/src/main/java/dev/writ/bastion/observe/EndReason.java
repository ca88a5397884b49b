package dev.writ.bastion.observe;

import java.util.Objects;

/**
 * Why the bastion ended a session: the reason as the audit log and the metrics name it
 * ({@code certificate_revoked}, which is also how a grant's early end arrives,
 * {@code certificate_expired}, {@code idle_timeout}, {@code ended_by_admin},
 * {@code recording_failed}), and for an admin's end, who ended it and why, as the CA passed them on.
 *
 * @param admin       the admin who ended the session, or null
 * @param adminReason what the admin wrote, or null
 */
public record EndReason(String reason, String admin, String adminReason) {

    public EndReason {
        Objects.requireNonNull(reason, "reason");
    }

    /** An end the bastion decided on its own. */
    public static EndReason of(String reason) {
        return new EndReason(reason, null, null);
    }
}
