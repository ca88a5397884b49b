package dev.writ.policy;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What the roles that apply to an identity allow in one user certificate, merged: principals,
 * targets and extensions are unions; TTLs and the idle timeout the shortest; recording the
 * strictest. The merge is for the certificate only: at the bastion one role decides each session
 * ({@link Policy#sessionRole}), which is why the grant keeps each role's logins apart.
 *
 * @param roles           the roles behind the grant, in policy order
 * @param principals      sorted, never empty
 * @param defaultTtl      the lifetime when the client asks none
 * @param maxTtl          no certificate from this grant lives longer
 * @param criticalOptions {@code source-address} and/or {@code force-command} when a role pins them
 * @param idleTimeout     null when no role sets one
 * @param grantedRoles    those of {@code roles} the identity holds only through an active access grant
 *                        (a certificate carrying them must not outlive the grant)
 * @param loginsByRole    for each of {@code roles}, the principals that role alone gives: the certificate
 *                        says so, because one role decides a session on a target (its login and its target)
 */
public record UserGrant(List<String> roles, Set<String> principals, Duration defaultTtl, Duration maxTtl,
                        Set<String> extensions, Map<String, String> criticalOptions, List<TargetRule> targets,
                        RecordingMode recording, boolean recordInput, Duration idleTimeout, Set<String> grantedRoles,
                        Map<String, Set<String>> loginsByRole) {

    public UserGrant {
        roles = List.copyOf(roles);
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("a grant comes from at least one role");
        }
        principals = Collections.unmodifiableSet(new TreeSet<>(principals));
        if (principals.isEmpty()) {
            throw new IllegalArgumentException("a grant has at least one principal");
        }
        for (String principal : principals) {
            if (!PrincipalTemplate.VALID_PRINCIPAL.matcher(principal).matches()) {
                throw new IllegalArgumentException("invalid principal '" + principal + "'");
            }
        }
        Role.checkTtls(defaultTtl, maxTtl);
        extensions = Collections.unmodifiableSet(new TreeSet<>(extensions));
        criticalOptions = Collections.unmodifiableMap(new TreeMap<>(criticalOptions));
        targets = List.copyOf(targets);
        Objects.requireNonNull(recording, "recording");
        grantedRoles = Collections.unmodifiableSet(new TreeSet<>(grantedRoles));
        if (!roles.containsAll(grantedRoles)) {
            throw new IllegalArgumentException("granted roles must be among the roles");
        }
        Map<String, Set<String>> logins = new TreeMap<>();
        loginsByRole.forEach((role, names) -> logins.put(role, Collections.unmodifiableSet(new TreeSet<>(names))));
        if (!logins.keySet().equals(new TreeSet<>(roles))
                || !principals.equals(logins.values().stream().flatMap(Set::stream).collect(Collectors.toCollection(TreeSet::new)))) {
            throw new IllegalArgumentException("the logins of the roles must cover exactly the roles and the principals");
        }
        loginsByRole = Collections.unmodifiableMap(logins);
    }

    /** A grant whose roles each give every principal (as when one role applies). */
    public UserGrant(List<String> roles, Set<String> principals, Duration defaultTtl, Duration maxTtl,
                     Set<String> extensions, Map<String, String> criticalOptions, List<TargetRule> targets,
                     RecordingMode recording, boolean recordInput, Duration idleTimeout, Set<String> grantedRoles) {
        this(roles, principals, defaultTtl, maxTtl, extensions, criticalOptions, targets, recording, recordInput,
                idleTimeout, grantedRoles, roles.stream().collect(Collectors.toMap(r -> r, r -> principals, (a, b) -> a)));
    }

    /** A grant from standing roles only. */
    public UserGrant(List<String> roles, Set<String> principals, Duration defaultTtl, Duration maxTtl,
                     Set<String> extensions, Map<String, String> criticalOptions, List<TargetRule> targets,
                     RecordingMode recording, boolean recordInput, Duration idleTimeout) {
        this(roles, principals, defaultTtl, maxTtl, extensions, criticalOptions, targets, recording, recordInput,
                idleTimeout, Set.of());
    }
}
