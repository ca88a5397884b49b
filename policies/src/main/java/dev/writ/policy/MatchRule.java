package dev.writ.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a list of people, such as the requesters or approvers of a requestable role or
 * the auditors: {@code - match: {...}}. Such lists hold when any of their entries matches.
 *
 * @param origin where it was defined, {@code file:line}
 */
public record MatchRule(Match match, String origin) {

    public MatchRule {
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(origin, "origin");
    }

    /** Whether any rule of the list matches the identity. */
    static boolean anyMatches(List<MatchRule> rules, Identity id) {
        return rules.stream().anyMatch(rule -> rule.match().matches(id));
    }

    /** Why no rule of the list matches (each rule's first failing condition), or empty when one does. */
    static Optional<String> whyNone(List<MatchRule> rules, Identity id) {
        if (rules.isEmpty()) {
            return Optional.of("nobody is listed");
        }
        StringBuilder why = new StringBuilder();
        for (MatchRule rule : rules) {
            Optional<String> whyNot = rule.match().whyNot(id);
            if (whyNot.isEmpty()) {
                return Optional.empty();
            }
            why.append(why.isEmpty() ? "" : "; ").append(whyNot.get());
        }
        return Optional.of(why.toString());
    }
}
