package dev.writ.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One evaluation of the policy for a person's identity, in four steps that each add lines to a
 * human-readable trace (what {@link Policy#explain} prints):
 * <ol>
 *   <li>which roles match the identity, standing or through an active access grant;</li>
 *   <li>which of those deny rules take away (a deny always wins);</li>
 *   <li>which principals each remaining role gives (a role with none does not apply);</li>
 *   <li>the merge of the roles that apply into one grant, or a conflict that denies.</li>
 * </ol>
 */
final class UserEvaluation {

    private final List<String> trace = new ArrayList<>();
    private final Set<String> grantedRoles;
    /** Roles that matched only through an access grant. */
    private final Set<String> viaGrant = new TreeSet<>();
    private final UserDecision decision;

    private UserEvaluation(Policy policy, Identity id, Set<String> grantedRoles) {
        this.grantedRoles = Set.copyOf(grantedRoles);
        trace.add("identity " + id.name() + " (issuer " + id.issuer() + ", subject " + id.subject()
                + (id.email() == null ? ", no email" : ", email " + id.email()) + ", groups " + id.groups() + ")");
        decision = evaluate(policy, id);
        trace.add("decision: " + (decision.allowed() ? decision.reason() : "denied: " + decision.reason()));
        if (decision.allowed()) {
            describe(decision.grant());
        }
    }

    static UserEvaluation run(Policy policy, Identity id, Set<String> grantedRoles) {
        return new UserEvaluation(policy, id, grantedRoles);
    }

    UserDecision decision() {
        return decision;
    }

    String explanation() {
        return String.join("\n", trace) + "\n";
    }

    private UserDecision evaluate(Policy policy, Identity id) {
        List<Role> matched = matchingRoles(policy, id);
        if (matched.isEmpty()) {
            return UserDecision.deny("no role matches");
        }
        List<String> denyingRules = new ArrayList<>();
        List<Role> remaining = applyDenyRules(policy, id, matched, denyingRules);
        if (remaining.isEmpty()) {
            String rules = denyingRules.stream().map(r -> "'" + r + "'").collect(Collectors.joining(", "));
            return UserDecision.deny((denyingRules.size() == 1 ? "denied by rule " : "denied by rules ") + rules);
        }
        Map<Role, Set<String>> applying = expandPrincipals(id, remaining);
        if (applying.isEmpty()) {
            return UserDecision.deny("no valid principal from role(s) " + names(remaining));
        }
        return merge(applying);
    }

    private List<Role> matchingRoles(Policy policy, Identity id) {
        List<Role> matched = new ArrayList<>();
        for (Role role : policy.roles()) {
            Optional<String> whyNot = role.hasStandingMatch() ? role.match().whyNot(id)
                    : Optional.of("requestable only (no standing match)");
            String head = "role '" + role.name() + "' (" + role.origin() + "): ";
            if (whyNot.isEmpty()) {
                trace.add(head + "matches");
                matched.add(role);
            } else if (grantedRoles.contains(role.name())) {
                Optional<String> whyNotGranted = whyNotGranted(role, id);
                if (whyNotGranted.isEmpty()) {
                    trace.add(head + "matches through an active access grant");
                    matched.add(role);
                    viaGrant.add(role.name());
                } else {
                    trace.add(head + "does not match: " + whyNot.get() + "; access grant ignored: " + whyNotGranted.get());
                }
            } else {
                trace.add(head + "does not match: " + whyNot.get());
            }
        }
        return matched;
    }

    /** A grant counts while the role is still requestable and the holder may still request it. */
    private static Optional<String> whyNotGranted(Role role, Identity id) {
        if (!role.isRequestable()) {
            return Optional.of("the role is no longer requestable");
        }
        return MatchRule.whyNone(role.requestable().requesters(), id).map(why -> "no longer a requester: " + why);
    }

    private List<Role> applyDenyRules(Policy policy, Identity id, List<Role> matched, List<String> denyingRules) {
        List<Role> remaining = new ArrayList<>(matched);
        for (DenyRule rule : policy.denyRules()) {
            Optional<String> whyNot = rule.match().whyNot(id);
            String head = "deny rule '" + rule.name() + "' (" + rule.origin() + "): ";
            if (whyNot.isPresent()) {
                trace.add(head + "does not match: " + whyNot.get());
                continue;
            }
            List<Role> removed = remaining.stream().filter(r -> rule.removes(r.name())).toList();
            remaining.removeAll(removed);
            if (removed.isEmpty()) {
                trace.add(head + "matches, but removes no remaining role");
            } else {
                trace.add(head + "matches, removes " + names(removed));
                denyingRules.add(rule.name());
            }
        }
        return remaining;
    }

    private Map<Role, Set<String>> expandPrincipals(Identity id, List<Role> roles) {
        Map<Role, Set<String>> applying = new LinkedHashMap<>();
        for (Role role : roles) {
            String where = "role '" + role.name() + "'";
            Set<String> principals = new TreeSet<>();
            for (String template : role.principals()) {
                PrincipalTemplate.Expansion expansion = PrincipalTemplate.parse(template, where).expand(id);
                principals.addAll(expansion.principals());
                expansion.dropped().forEach(why -> trace.add(where + ": dropped principal " + why));
            }
            if (principals.isEmpty()) {
                trace.add(where + ": no valid principal, the role does not apply");
            } else {
                trace.add(where + ": principals " + String.join(", ", principals));
                applying.put(role, principals);
            }
        }
        return applying;
    }

    /** Unions, minimums and the strictest recording; roles pinning different critical options deny. */
    private UserDecision merge(Map<Role, Set<String>> applying) {
        List<Role> roles = List.copyOf(applying.keySet());
        for (String option : List.of(Role.SOURCE_ADDRESS, Role.FORCE_COMMAND)) {
            Optional<String> conflict = conflict(roles, option);
            if (conflict.isPresent()) {
                return UserDecision.deny(conflict.get());
            }
        }
        Set<String> principals = new TreeSet<>();
        applying.values().forEach(principals::addAll);
        Set<TargetRule> targets = new LinkedHashSet<>();
        Set<String> extensions = new TreeSet<>();
        Map<String, String> criticalOptions = new LinkedHashMap<>();
        Duration defaultTtl = roles.get(0).defaultTtl();
        Duration maxTtl = roles.get(0).maxTtl();
        RecordingMode recording = RecordingMode.OFF;
        boolean recordInput = false;
        Duration idleTimeout = null;
        for (Role role : roles) {
            targets.addAll(role.targets());
            extensions.addAll(role.extensions());
            criticalOptions.putAll(role.criticalOptions());
            defaultTtl = min(defaultTtl, role.defaultTtl());
            maxTtl = min(maxTtl, role.maxTtl());
            recording = recording.strictest(role.recording());
            recordInput |= role.recordInput();
            idleTimeout = role.idleTimeout() == null ? idleTimeout
                    : idleTimeout == null ? role.idleTimeout() : min(idleTimeout, role.idleTimeout());
        }
        List<String> roleNames = roles.stream().map(Role::name).toList();
        Set<String> granted = new TreeSet<>(viaGrant);
        granted.retainAll(roleNames);
        Map<String, Set<String>> loginsByRole = new LinkedHashMap<>();
        applying.forEach((role, logins) -> loginsByRole.put(role.name(), logins));
        UserGrant grant = new UserGrant(roleNames, principals, defaultTtl, maxTtl, extensions, criticalOptions,
                List.copyOf(targets), recording, recordInput, idleTimeout, granted, loginsByRole);
        return UserDecision.allow("allowed by role(s) " + String.join(", ", roleNames), grant);
    }

    /** "roles x and y pin different source-address" when two roles pin the option differently. */
    private static Optional<String> conflict(List<Role> roles, String option) {
        Role first = null;
        for (Role role : roles) {
            String value = role.criticalOptions().get(option);
            if (value == null) {
                continue;
            }
            if (first == null) {
                first = role;
            } else if (!first.criticalOptions().get(option).equals(value)) {
                return Optional.of("roles " + first.name() + " and " + role.name() + " pin different " + option);
            }
        }
        return Optional.empty();
    }

    private void describe(UserGrant grant) {
        trace.add("  principals: " + String.join(", ", grant.principals()));
        if (grant.roles().size() > 1) {
            trace.add("  logins by role (one role decides each session): " + grant.loginsByRole().entrySet().stream()
                    .map(e -> e.getKey() + " → " + String.join(", ", e.getValue())).collect(Collectors.joining("; ")));
        }
        if (!grant.grantedRoles().isEmpty()) {
            trace.add("  through access grants: " + String.join(", ", grant.grantedRoles()));
        }
        trace.add("  ttl: " + Durations.format(grant.defaultTtl()) + " (max " + Durations.format(grant.maxTtl()) + ")");
        trace.add("  extensions: " + (grant.extensions().isEmpty() ? "none" : String.join(", ", grant.extensions())));
        trace.add("  critical options: " + (grant.criticalOptions().isEmpty() ? "none" : grant.criticalOptions().entrySet()
                .stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "))));
        trace.add("  targets: " + (grant.targets().isEmpty() ? "none" : grant.targets().stream()
                .map(TargetRule::toString).collect(Collectors.joining("; "))));
        trace.add("  recording: " + grant.recording().policyName() + (grant.recordInput() ? ", with input" : ""));
        trace.add("  idle timeout: " + (grant.idleTimeout() == null ? "none" : Durations.format(grant.idleTimeout())));
    }

    private static String names(List<Role> roles) {
        return roles.stream().map(Role::name).collect(Collectors.joining(", "));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
