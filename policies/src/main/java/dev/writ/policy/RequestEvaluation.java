package dev.writ.policy;

import dev.writ.policy.RequestDecision.Outcome;
import dev.writ.policy.RequestDecision.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decisions about access requests, in a fixed order: the role must exist and be requestable; a
 * deny rule wins over everything (auto-approval and break-glass included); the requester must be
 * one of the role's requesters; the reason and duration must fit; then break-glass grants at once,
 * a holding auto-approval condition set grants at once, and anything else waits for approvers.
 */
final class RequestEvaluation {

    private RequestEvaluation() {}

    static RequestDecision decide(Policy policy, Identity requester, String roleName, Duration requested, String reason,
                                  Instant now) {
        if (requested != null && (requested.isZero() || requested.isNegative())) {
            throw new IllegalArgumentException("a requested duration is positive");
        }
        Optional<Role> found = policy.role(roleName);
        if (found.isEmpty()) {
            return RequestDecision.refuse(Refusal.UNKNOWN_ROLE, "unknown role '" + roleName + "'");
        }
        Role role = found.get();
        String named = "role '" + role.name() + "'";
        if (!role.isRequestable()) {
            return RequestDecision.refuse(Refusal.NOT_REQUESTABLE, named + " is not requestable");
        }
        Optional<DenyRule> deny = denyingRule(policy, requester, role.name());
        if (deny.isPresent()) {
            return RequestDecision.refuse(Refusal.DENIED, "denied by rule '" + deny.get().name() + "'");
        }
        Requestable r = role.requestable();
        if (!MatchRule.anyMatches(r.requesters(), requester)) {
            return RequestDecision.refuse(Refusal.NOT_A_REQUESTER, requester.name() + " may not request " + named);
        }
        if (r.reasonRequired() && (reason == null || reason.isBlank())) {
            return RequestDecision.refuse(Refusal.REASON_REQUIRED, "a reason is required to request " + named);
        }
        Duration duration = requested == null ? r.maxDuration() : requested;
        if (duration.compareTo(r.maxDuration()) > 0) {
            return RequestDecision.refuse(Refusal.DURATION_ABOVE_MAX, "requested duration " + Durations.format(duration)
                    + " exceeds the maximum of " + Durations.format(r.maxDuration()) + " for " + named);
        }
        if (r.breakGlass()) {
            return RequestDecision.grant(Outcome.BREAK_GLASS, "break-glass: " + named + " granted at once, without approval",
                    duration);
        }
        List<String> notAuto = new ArrayList<>();
        for (int i = 0; i < r.autoApprove().size(); i++) {
            AutoApproval auto = r.autoApprove().get(i);
            Optional<String> whyNot = auto.whyNot(requester, duration, now);
            if (whyNot.isEmpty()) {
                return RequestDecision.grant(Outcome.AUTO_APPROVED, "auto-approved by condition " + (i + 1) + " of "
                        + named + " (" + auto.describe() + ")", duration);
            }
            notAuto.add("condition " + (i + 1) + ": " + whyNot.get());
        }
        String waiting = "waiting for " + r.approvals() + (r.approvals() == 1 ? " approval" : " approvals")
                + (notAuto.isEmpty() ? "" : " (not auto-approved: " + String.join("; ", notAuto) + ")");
        return RequestDecision.pending(waiting, duration, r.approvals(), r.pendingTtl());
    }

    static Verdict mayApprove(Policy policy, Identity approver, String roleName, Identity requester) {
        Optional<Role> role = policy.role(roleName).filter(Role::isRequestable);
        if (role.isEmpty()) {
            return Verdict.deny("no requestable role '" + roleName + "'");
        }
        if (samePerson(approver, requester)) {
            return Verdict.deny("you cannot review your own request");
        }
        String named = "role '" + roleName + "'";
        if (role.get().requestable().breakGlass()) {
            return Verdict.deny(named + " is break-glass: its requests are granted without review");
        }
        Optional<DenyRule> deny = denyingRule(policy, approver, roleName);
        if (deny.isPresent()) {
            return Verdict.deny(approver.name() + " may not review requests for " + named + ": denied by rule '"
                    + deny.get().name() + "'");
        }
        if (!MatchRule.anyMatches(role.get().requestable().approvers(), approver)) {
            return Verdict.deny(approver.name() + " may not review requests for " + named);
        }
        return Verdict.allow(approver.name() + " is an approver of " + named);
    }

    /**
     * The same person, whatever the policy says: the same subject at the same issuer, or the same
     * (verified) email, so that one person with two accounts cannot approve themselves either.
     */
    static boolean samePerson(Identity a, Identity b) {
        if (a.issuer().equals(b.issuer()) && a.subject().equals(b.subject())) {
            return true;
        }
        return a.email() != null && b.email() != null
                && a.email().toLowerCase(Locale.ROOT).equals(b.email().toLowerCase(Locale.ROOT));
    }

    private static Optional<DenyRule> denyingRule(Policy policy, Identity id, String roleName) {
        return policy.denyRules().stream().filter(rule -> rule.removes(roleName) && rule.match().matches(id)).findFirst();
    }
}
