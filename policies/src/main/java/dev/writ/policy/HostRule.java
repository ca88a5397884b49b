package dev.writ.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Which hostnames a workload (matched on its token's claims) may put in a host certificate.
 *
 * @param hostnames globs of hostnames, lower-case
 * @param origin    where it was defined, {@code file:line}
 */
public record HostRule(String name, Match match, List<String> hostnames, Duration defaultTtl, Duration maxTtl,
                       String origin) {

    static final Duration DEFAULT_TTL = Duration.ofDays(7);
    static final Duration DEFAULT_MAX_TTL = Duration.ofDays(30);
    /** No host certificate lives longer than this, whatever the policy says. */
    public static final Duration CEILING_TTL = Duration.ofDays(30);

    public HostRule {
        Role.checkName(name, "host rule");
        Objects.requireNonNull(match, "match");
        hostnames = List.copyOf(hostnames);
        if (hostnames.isEmpty()) {
            throw new IllegalArgumentException("host rule '" + name + "' needs at least one hostname pattern");
        }
        String where = "host rule '" + name + "'";
        hostnames.forEach(h -> checkPattern(h, where));
        Role.checkTtls(defaultTtl, maxTtl);
        if (maxTtl.compareTo(CEILING_TTL) > 0) {
            throw new IllegalArgumentException("max_ttl " + Durations.format(maxTtl) + " is above the ceiling of "
                    + Durations.format(CEILING_TTL));
        }
        Objects.requireNonNull(origin, "origin");
    }

    static void checkPattern(String pattern, String where) {
        if (pattern.isEmpty() || !pattern.matches("[a-z0-9.*?-]+")) {
            throw new IllegalArgumentException("hostname pattern '" + pattern + "' in " + where
                    + " is not valid: use lower-case letters, digits, '-', '.', and the wildcards '*' and '?'");
        }
    }

    /** Whether the hostname matches one of this rule's patterns. */
    public boolean allows(String hostname) {
        return Glob.matchesAny(hostnames, hostname, true);
    }
}
