package dev.writ.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Conditions on an identity. Every condition that is present must hold (AND); inside one
 * condition any listed value is enough (OR). An empty list means the condition is absent; at
 * least one condition must be present, so that no rule matches everybody by accident.
 *
 * @param issuers exact issuer URLs
 * @param emails  globs, compared case-insensitively with the email
 * @param groups  group names, compared exactly; the identity must be in at least one
 * @param claims  claim name to globs (case-sensitive); the claim, or one of its elements when
 *                it is a list, must match one of them
 */
public record Match(List<String> issuers, List<String> emails, List<String> groups, Map<String, List<String>> claims) {

    public Match {
        issuers = List.copyOf(issuers);
        emails = List.copyOf(emails);
        groups = List.copyOf(groups);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        claims.forEach((name, values) -> {
            if (values.isEmpty()) {
                throw new IllegalArgumentException("claim '" + name + "' needs at least one accepted value");
            }
            copy.put(Objects.requireNonNull(name), List.copyOf(values));
        });
        claims = Collections.unmodifiableMap(copy);
        if (issuers.isEmpty() && emails.isEmpty() && groups.isEmpty() && claims.isEmpty()) {
            throw new IllegalArgumentException("a match needs at least one condition");
        }
    }

    public boolean matches(Identity id) {
        return whyNot(id).isEmpty();
    }

    /** Why the identity does not match (the first failing condition), or empty when it does. */
    Optional<String> whyNot(Identity id) {
        if (!issuers.isEmpty() && !issuers.contains(id.issuer())) {
            return Optional.of("issuer " + id.issuer() + " is not " + oneOf(issuers));
        }
        if (!emails.isEmpty()) {
            if (id.email() == null) {
                return Optional.of("the token has no (verified) email");
            }
            if (!Glob.matchesAny(emails, id.email(), true)) {
                return Optional.of("email " + id.email() + " matches none of " + emails);
            }
        }
        if (!groups.isEmpty() && Collections.disjoint(groups, id.groups())) {
            return Optional.of("groups " + id.groups() + " contain none of " + groups);
        }
        for (Map.Entry<String, List<String>> claim : claims.entrySet()) {
            List<String> values = id.claimValues(claim.getKey());
            if (values.isEmpty()) {
                return Optional.of("claim '" + claim.getKey() + "' is missing");
            }
            if (values.stream().noneMatch(v -> Glob.matchesAny(claim.getValue(), v, false))) {
                String shown = values.size() == 1 ? values.get(0) : values.toString();
                return Optional.of("claim '" + claim.getKey() + "' = " + shown + " matches none of " + claim.getValue());
            }
        }
        return Optional.empty();
    }

    private static String oneOf(List<String> values) {
        return values.size() == 1 ? values.get(0) : "any of " + values;
    }
}
