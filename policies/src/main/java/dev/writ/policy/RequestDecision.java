package dev.writ.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * The outcome of {@link Policy#requestDecision}: refused (with the kind of refusal and why), or
 * accepted as pending (waiting for approvals), auto-approved, or granted at once as break-glass.
 *
 * @param refusal           why it was refused, or null when accepted
 * @param reason            a sentence for the requester and the audit log
 * @param duration          the grant's duration (the one asked, or the role's maximum); null when refused
 * @param approvalsRequired distinct approvals a pending request needs; 0 unless pending
 * @param pendingTtl        how long a pending request waits; null unless pending
 */
public record RequestDecision(Outcome outcome, Refusal refusal, String reason, Duration duration, int approvalsRequired,
                              Duration pendingTtl) {

    public enum Outcome { REFUSED, PENDING, AUTO_APPROVED, BREAK_GLASS }

    public enum Refusal {
        /** The policy has no such role. */
        UNKNOWN_ROLE,
        /** The role exists but has no {@code requestable} section. */
        NOT_REQUESTABLE,
        /** The requester matches none of the role's requesters. */
        NOT_A_REQUESTER,
        /** A deny rule takes the role away from the requester. */
        DENIED,
        /** The role requires a reason and none was given. */
        REASON_REQUIRED,
        /** The request asks for more than the role's max_duration. */
        DURATION_ABOVE_MAX
    }

    public RequestDecision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        if ((outcome == Outcome.REFUSED) != (refusal != null)) {
            throw new IllegalArgumentException("a refused decision names its refusal, an accepted one none");
        }
        if ((outcome == Outcome.REFUSED) == (duration != null)) {
            throw new IllegalArgumentException("an accepted decision has a duration, a refused one none");
        }
        if ((outcome == Outcome.PENDING) != (pendingTtl != null && approvalsRequired > 0)) {
            throw new IllegalArgumentException("only a pending decision has approvals to wait for");
        }
    }

    public boolean accepted() {
        return outcome != Outcome.REFUSED;
    }

    /** Granted at once, without waiting for an approver. */
    public boolean grantedAtOnce() {
        return outcome == Outcome.AUTO_APPROVED || outcome == Outcome.BREAK_GLASS;
    }

    static RequestDecision refuse(Refusal refusal, String reason) {
        return new RequestDecision(Outcome.REFUSED, refusal, reason, null, 0, null);
    }

    static RequestDecision pending(String reason, Duration duration, int approvals, Duration pendingTtl) {
        return new RequestDecision(Outcome.PENDING, null, reason, duration, approvals, pendingTtl);
    }

    static RequestDecision grant(Outcome outcome, String reason, Duration duration) {
        return new RequestDecision(outcome, null, reason, duration, 0, null);
    }
}
