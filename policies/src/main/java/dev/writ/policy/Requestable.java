package dev.writ.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a role is obtained just in time: requested by some, approved by others (never by the
 * requester), for a limited duration.
 *
 * @param requesters     who may request the role (any entry matching is enough)
 * @param approvers      who may approve or deny a request; empty only for break-glass roles
 * @param approvals      how many distinct approvers must approve
 * @param maxDuration    the longest grant a request may ask for
 * @param reasonRequired a request without a reason is refused
 * @param pendingTtl     how long a request waits for its approvals before it expires
 * @param autoApprove    condition sets under which a request is approved at once (any one is enough)
 * @param breakGlass     granted at once on request, with a reason, for at most {@link #BREAK_GLASS_MAX}
 */
public record Requestable(List<MatchRule> requesters, List<MatchRule> approvers, int approvals, Duration maxDuration,
                          boolean reasonRequired, Duration pendingTtl, List<AutoApproval> autoApprove,
                          boolean breakGlass) {

    public static final Duration DEFAULT_PENDING_TTL = Duration.ofHours(1);
    /** No break-glass grant lasts longer. */
    public static final Duration BREAK_GLASS_MAX = Duration.ofHours(1);
    static final int MAX_APPROVALS = 10;

    public Requestable {
        requesters = List.copyOf(requesters);
        approvers = List.copyOf(approvers);
        autoApprove = List.copyOf(autoApprove);
        Objects.requireNonNull(maxDuration, "maxDuration");
        Objects.requireNonNull(pendingTtl, "pendingTtl");
        if (requesters.isEmpty()) {
            throw new IllegalArgumentException("a requestable role needs requesters");
        }
        if (maxDuration.isNegative() || maxDuration.isZero() || pendingTtl.isNegative() || pendingTtl.isZero()) {
            throw new IllegalArgumentException("max_duration and pending_ttl must be positive");
        }
        if (breakGlass) {
            if (maxDuration.compareTo(BREAK_GLASS_MAX) > 0) {
                throw new IllegalArgumentException("max_duration of a break_glass role is at most "
                        + Durations.format(BREAK_GLASS_MAX) + ", got " + Durations.format(maxDuration));
            }
            if (!reasonRequired) {
                throw new IllegalArgumentException("a break_glass role always requires a reason");
            }
        } else {
            if (approvers.isEmpty()) {
                throw new IllegalArgumentException("a requestable role needs approvers (or break_glass: true)");
            }
            if (approvals < 1 || approvals > MAX_APPROVALS) {
                throw new IllegalArgumentException("approvals must be 1 to " + MAX_APPROVALS + ", got " + approvals);
            }
        }
    }
}
