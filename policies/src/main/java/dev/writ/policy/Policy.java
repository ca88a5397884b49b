package dev.writ.policy;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A loaded, validated policy: roles for people (standing or requestable), deny rules that take
 * roles away, host rules for workloads, who administers writ and who may read the audit log.
 * Immutable and safe to share between threads. Everything is denied unless a role (or a host
 * rule) allows it.
 */
public final class Policy {

    /** A hostname a workload may request: lower-case DNS labels, no wildcard, no trailing dot. */
    private static final Pattern HOSTNAME =
            Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private final List<Role> roles;
    private final Map<String, Role> rolesByName = new LinkedHashMap<>();
    private final List<DenyRule> denyRules;
    private final List<HostRule> hostRules;
    private final List<AdminRule> adminRules;
    private final List<MatchRule> auditors;

    Policy(List<Role> roles, List<DenyRule> denyRules, List<HostRule> hostRules, List<AdminRule> adminRules,
           List<MatchRule> auditors) {
        this.roles = List.copyOf(roles);
        this.denyRules = List.copyOf(denyRules);
        this.hostRules = List.copyOf(hostRules);
        this.adminRules = List.copyOf(adminRules);
        this.auditors = List.copyOf(auditors);
        for (Role role : this.roles) {
            if (rolesByName.put(role.name(), role) != null) {
                throw new IllegalArgumentException("duplicate role '" + role.name() + "'");
            }
        }
    }

    /**
     * Loads every {@code *.yaml} and {@code *.yml} file directly in {@code dir} (not in
     * subdirectories; names starting with '.' are skipped), in order of file name, as one policy.
     */
    public static Policy load(Path dir) throws PolicyException {
        String dirName = dir.toString();
        List<Path> files;
        try (Stream<Path> entries = Files.list(dir)) {
            files = entries
                    .filter(Files::isRegularFile)
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new PolicyException(dirName, 0, "cannot read the policy directory: " + e, e);
        }
        if (files.isEmpty()) {
            throw new PolicyException(dirName, 0, "no *.yaml or *.yml policy file in the directory");
        }
        PolicyLoader loader = new PolicyLoader();
        for (Path file : files) {
            String name = file.getFileName().toString();
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (CharacterCodingException e) {
                throw new PolicyException(name, 0, "not valid UTF-8", e);
            } catch (IOException e) {
                throw new PolicyException(name, 0, "cannot read: " + e, e);
            }
            loader.add(name, text);
        }
        return loader.build();
    }

    /** Parses one YAML document as a whole policy; {@code sourceName} appears in error messages. */
    public static Policy parse(String sourceName, String yaml) throws PolicyException {
        PolicyLoader loader = new PolicyLoader();
        loader.add(sourceName, yaml);
        return loader.build();
    }

    /** What a person with this identity may get from standing roles; denied unless a role applies. */
    public UserDecision evaluateUser(Identity id) {
        return evaluateUser(id, Set.of());
    }

    /**
     * What a person may get from standing roles plus the roles of their active access grants. A
     * granted role counts only while it is requestable and the person is still one of its
     * requesters; deny rules take it away like any other role. The grant's
     * {@link UserGrant#grantedRoles()} names the roles that came only from grants.
     */
    public UserDecision evaluateUser(Identity id, Set<String> grantedRoles) {
        return UserEvaluation.run(this, Objects.requireNonNull(id, "id"), grantedRoles).decision();
    }

    /** A trace of {@link #evaluateUser}: each role (matched, or why not), each deny rule, the principals, the result. */
    public String explain(Identity id) {
        return explain(id, Set.of());
    }

    public String explain(Identity id, Set<String> grantedRoles) {
        return UserEvaluation.run(this, Objects.requireNonNull(id, "id"), grantedRoles).explanation();
    }

    /**
     * Whether {@code requester} may request {@code role} for {@code duration} (null: the role's
     * maximum) with {@code reason}, and if so whether it is granted at once (break-glass,
     * auto-approval at {@code now}) or waits for approvers. Deny rules win over everything.
     */
    public RequestDecision requestDecision(Identity requester, String role, Duration duration, String reason,
                                           Instant now) {
        Objects.requireNonNull(requester, "requester");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(now, "now");
        return RequestEvaluation.decide(this, requester, role, duration, reason, now);
    }

    /**
     * Whether {@code approver} may approve or deny a request of {@code requester} for {@code role}:
     * never their own (same subject at the same issuer, or the same email), never when a deny rule
     * takes the role from the approver, otherwise when they match one of the role's approvers.
     */
    public Verdict mayApprove(Identity approver, String role, Identity requester) {
        Objects.requireNonNull(approver, "approver");
        Objects.requireNonNull(requester, "requester");
        return RequestEvaluation.mayApprove(this, approver, Objects.requireNonNull(role, "role"), requester);
    }

    /**
     * Whether the identity may read the audit log: an {@code auditors} entry matches it, and no
     * deny rule that takes every role away matches it.
     */
    public boolean isAuditor(Identity id) {
        Objects.requireNonNull(id, "id");
        if (denyRules.stream().anyMatch(rule -> rule.appliesToEveryRole() && rule.match().matches(id))) {
            return false;
        }
        return MatchRule.anyMatches(auditors, id);
    }

    /**
     * Which of the requested hostnames a workload may get in a host certificate: the first host
     * rule that matches the workload decides, and every requested hostname must match one of
     * its patterns (else the whole request is denied).
     */
    public HostDecision evaluateHost(Identity workload, List<String> requestedHostnames) {
        Objects.requireNonNull(workload, "workload");
        if (requestedHostnames == null || requestedHostnames.isEmpty()) {
            return HostDecision.deny("no hostname requested");
        }
        LinkedHashSet<String> hostnames = new LinkedHashSet<>();
        for (String hostname : requestedHostnames) {
            Optional<String> problem = hostnameProblem(hostname);
            if (problem.isPresent()) {
                return HostDecision.deny(problem.get());
            }
            hostnames.add(hostname);
        }
        Optional<HostRule> rule = hostRules.stream().filter(r -> r.match().matches(workload)).findFirst();
        if (rule.isEmpty()) {
            return HostDecision.deny("no host rule matches");
        }
        for (String hostname : hostnames) {
            if (!rule.get().allows(hostname)) {
                return HostDecision.deny("hostname " + hostname + " is not allowed for rule '" + rule.get().name() + "'");
            }
        }
        HostGrant grant = new HostGrant(rule.get().name(), List.copyOf(hostnames), rule.get().defaultTtl(),
                rule.get().maxTtl());
        return HostDecision.allow("allowed by rule '" + rule.get().name() + "'", grant);
    }

    /**
     * What is wrong with a hostname requested for a host certificate, or empty when it is a plain
     * DNS name: lower-case labels, no wildcard, no trailing dot. Callers that want to answer a
     * malformed name differently from a name the policy does not allow check this first.
     */
    public static Optional<String> hostnameProblem(String hostname) {
        if (hostname == null || hostname.isEmpty()) {
            return Optional.of("empty hostname requested");
        }
        if (Glob.hasWildcard(hostname)) {
            return Optional.of("hostname '" + hostname + "' has a wildcard; request exact hostnames");
        }
        if (hostname.length() > 253 || !HOSTNAME.matcher(hostname).matches()) {
            return Optional.of("hostname '" + hostname + "' is not a valid DNS name"
                    + " (lower-case letters, digits, '-' and '.')");
        }
        return Optional.empty();
    }

    /**
     * Whether the identity is a writ admin: an admin rule matches it, and no deny rule that takes
     * every role away matches it (a suspended account loses admin along with everything else).
     */
    public boolean isAdmin(Identity id) {
        Objects.requireNonNull(id, "id");
        if (denyRules.stream().anyMatch(rule -> rule.appliesToEveryRole() && rule.match().matches(id))) {
            return false;
        }
        return adminRules.stream().anyMatch(rule -> rule.match().matches(id));
    }

    /**
     * Whether any of the named roles reaches the target (a hostname) with these labels; role
     * names the policy does not know reach nothing.
     */
    public boolean allowsTarget(Collection<String> roleNames, String target, Map<String, String> labels) {
        Objects.requireNonNull(target, "target");
        for (String name : roleNames) {
            Role role = rolesByName.get(name);
            if (role != null && role.targets().stream().anyMatch(t -> t.matches(target, labels))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The role that decides a session of {@code login} on {@code target}: the first role, in policy
     * order, that gives that login (as {@code loginsByRole} says, from the certificate) and whose
     * targets include the target. One role decides: the login of one role is never combined with
     * the target of another, and the session takes that role's extensions, recording mode and idle
     * timeout. Role names the policy does not know decide nothing. Empty when no role allows it.
     */
    public Optional<Role> sessionRole(Map<String, ? extends Collection<String>> loginsByRole, String login, String target,
                                      Map<String, String> labels) {
        Objects.requireNonNull(login, "login");
        Objects.requireNonNull(target, "target");
        return roles.stream()
                .filter(role -> loginsByRole.containsKey(role.name()) && loginsByRole.get(role.name()).contains(login))
                .filter(role -> role.targets().stream().anyMatch(t -> t.matches(target, labels)))
                .findFirst();
    }

    public Optional<Role> role(String name) {
        return Optional.ofNullable(rolesByName.get(name));
    }

    /** All roles, in the order of the files (by name) and within each file. */
    public List<Role> roles() {
        return roles;
    }

    public List<DenyRule> denyRules() {
        return denyRules;
    }

    public List<HostRule> hostRules() {
        return hostRules;
    }

    public List<AdminRule> adminRules() {
        return adminRules;
    }

    public List<MatchRule> auditors() {
        return auditors;
    }
}
