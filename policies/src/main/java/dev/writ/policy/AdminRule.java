package dev.writ.policy;

import java.util.Objects;

/**
 * Makes the identities it matches writ admins: they may create join tokens for hosts (and, as
 * the CA grows, run the other administrative endpoints). Admin is not a role: it gives no
 * certificate and no principal.
 *
 * @param origin where it was defined, {@code file:line}
 */
public record AdminRule(Match match, String origin) {

    public AdminRule {
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(origin, "origin");
    }
}
