package dev.writ.policy;

import java.util.List;
import java.util.Objects;

/**
 * Takes roles away from the identities it matches; a deny always wins over any role.
 *
 * @param roles the role names it removes; empty means every role
 * @param origin where it was defined, {@code file:line}
 */
public record DenyRule(String name, Match match, List<String> roles, String origin) {

    public DenyRule {
        Role.checkName(name, "deny rule");
        Objects.requireNonNull(match, "match");
        roles = List.copyOf(roles);
        Objects.requireNonNull(origin, "origin");
    }

    public boolean appliesToEveryRole() {
        return roles.isEmpty();
    }

    public boolean removes(String role) {
        return roles.isEmpty() || roles.contains(role);
    }
}
