package dev.writ.policy;

import dev.writ.policy.Fields.Item;
import dev.writ.policy.Yaml.Entry;
import dev.writ.policy.Yaml.ListNode;
import dev.writ.policy.Yaml.MapNode;
import dev.writ.policy.Yaml.Node;
import dev.writ.policy.Yaml.ScalarNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns policy files into a {@link Policy}. Each file is read into a line-aware YAML tree and
 * walked section by section; every section lists the keys it knows (an unknown key is an
 * error), so a new key is one entry in a list and one line in the section's reader. Checks that
 * span files (duplicate names, deny rules naming roles) run in {@link #build()}.
 */
final class PolicyLoader {

    private static final List<String> TOP_KEYS = List.of("roles", "deny", "hosts", "admins", "auditors");
    private static final List<String> ROLE_KEYS = List.of("name", "match", "principals", "targets", "ttl", "max_ttl",
            "extensions", "critical_options", "recording", "record_input", "idle_timeout", "requestable",
            "commands", "files", "forwards", "require_recording");
    private static final List<String> MATCH_KEYS = List.of("issuer", "email", "groups", "claims");
    private static final List<String> TARGET_KEYS = List.of("hosts", "labels");
    private static final List<String> DENY_KEYS = List.of("name", "match", "roles");
    private static final List<String> HOST_KEYS = List.of("name", "match", "hostnames", "ttl", "max_ttl");
    private static final List<String> ADMIN_KEYS = List.of("match");

    /** A deny rule's mention of a role, checked once every file is read. */
    private record RoleReference(String source, int line, String rule, String role) {}

    private final Map<String, Role> roles = new LinkedHashMap<>();
    private final Map<String, DenyRule> denyRules = new LinkedHashMap<>();
    private final Map<String, HostRule> hostRules = new LinkedHashMap<>();
    private final List<AdminRule> adminRules = new ArrayList<>();
    private final List<MatchRule> auditors = new ArrayList<>();
    private final List<RoleReference> references = new ArrayList<>();

    /** Reads one file (one YAML document); may be called for several files. */
    void add(String source, String text) throws PolicyException {
        Fields f = new Fields(source);
        Optional<Node> document = Yaml.read(source, text);
        if (document.isEmpty() || (document.get() instanceof ScalarNode s && s.isNull())) {
            return; // an empty file (or only comments) adds nothing
        }
        MapNode top = f.map(document.get(), "a policy file");
        f.onlyKeys(top, TOP_KEYS, "the policy file");
        for (Node node : section(f, top, "roles")) {
            addRole(f, f.map(node, "each role"));
        }
        for (Node node : section(f, top, "deny")) {
            addDenyRule(f, f.map(node, "each deny rule"));
        }
        for (Node node : section(f, top, "hosts")) {
            addHostRule(f, f.map(node, "each host rule"));
        }
        for (Node node : section(f, top, "admins")) {
            addAdminRule(f, f.map(node, "each admin rule"));
        }
        for (Node node : section(f, top, "auditors")) {
            auditors.add(RequestableLoader.matchRule(f, node, "auditor #" + (auditors.size() + 1)));
        }
    }

    Policy build() throws PolicyException {
        for (RoleReference ref : references) {
            if (!roles.containsKey(ref.role())) {
                throw new PolicyException(ref.source(), ref.line(),
                        "deny rule '" + ref.rule() + "' names unknown role '" + ref.role() + "'");
            }
        }
        return new Policy(List.copyOf(roles.values()), List.copyOf(denyRules.values()), List.copyOf(hostRules.values()),
                adminRules, auditors);
    }

    private static List<Node> section(Fields f, MapNode top, String key) throws PolicyException {
        Optional<Entry> entry = top.get(key);
        if (entry.isEmpty() || (entry.get().value() instanceof ScalarNode s && s.isNull())) {
            return List.of();
        }
        if (entry.get().value() instanceof ListNode list) {
            return list.items();
        }
        throw f.error(entry.get().value().line(), "'" + key + "' must be a list, got " + entry.get().value().describe());
    }

    // ---- roles

    private void addRole(Fields f, MapNode node) throws PolicyException {
        String name = name(f, node, "role", roles.size() + 1);
        String where = "role '" + name + "'";
        f.onlyKeys(node, ROLE_KEYS, where);
        checkUnique(f, node, name, roles.containsKey(name) ? roles.get(name).origin() : null, "role");

        Requestable requestable = f.optional(node, "requestable", null, e -> RequestableLoader.requestable(f, e, where));
        // a role that can be requested needs no standing match; any other role does
        Match match = requestable != null && f.optional(node, "match").isEmpty() ? null
                : match(f, f.required(node, "match", where), where);
        List<String> principals = new ArrayList<>();
        for (Item item : f.strings(f.required(node, "principals", where), where)) {
            principals.add(check(f, item.line(), () -> PrincipalTemplate.parse(item.text(), where).text()));
        }
        List<TargetRule> targets = f.optional(node, "targets", List.of(), e -> targets(f, e, where));
        Duration maxTtl = f.duration(f.required(node, "max_ttl", where), where);
        Duration ttl = defaultTtl(f, node, where, Role.DEFAULT_TTL, maxTtl);
        Set<String> extensions = new LinkedHashSet<>();
        for (Item item : optionalStrings(f, node, "extensions", where)) {
            extensions.add(check(f, item.line(), () -> {
                Role.checkExtension(item.text(), where);
                return item.text();
            }));
        }
        Map<String, String> criticalOptions =
                f.optional(node, "critical_options", Map.of(), e -> criticalOptions(f, e, where));
        RecordingMode recording = f.optional(node, "recording", RecordingMode.BEST_EFFORT, e -> {
            String text = f.string(e, where);
            return RecordingMode.fromPolicyName(text).orElseThrow(() -> f.error(e.value().line(),
                    "'recording' in " + where + " must be off, best_effort or strict, got '" + text + "'"));
        });
        boolean recordInput = f.optional(node, "record_input", false, e -> f.bool(e, where));
        Duration idleTimeout = f.optional(node, "idle_timeout", null, e -> f.duration(e, where));
        ChannelRules channels = ChannelRulesLoader.read(f, node, where);
        Role role = check(f, node.line(), () -> new Role(name, match, principals, targets, ttl, maxTtl, extensions,
                criticalOptions, recording, recordInput, idleTimeout, f.origin(node), requestable, channels));
        roles.put(name, role);
    }

    private static List<TargetRule> targets(Fields f, Entry entry, String where) throws PolicyException {
        if (!(entry.value() instanceof ListNode list) || list.items().isEmpty()) {
            throw f.error(entry.value().line(), "'targets' in " + where + " must be a non-empty list of"
                    + " {hosts, labels} mappings (leave it out for no target)");
        }
        List<TargetRule> targets = new ArrayList<>();
        for (int i = 0; i < list.items().size(); i++) {
            String at = "target " + (i + 1) + " of " + where;
            MapNode target = f.map(list.items().get(i), at);
            f.onlyKeys(target, TARGET_KEYS, at);
            List<String> hosts = new ArrayList<>();
            for (Item item : optionalStrings(f, target, "hosts", at)) {
                if (item.text().isBlank() || item.text().chars().anyMatch(Character::isWhitespace)) {
                    throw f.error(item.line(), "host pattern '" + item.text() + "' in " + at + " is not valid");
                }
                hosts.add(item.text());
            }
            Map<String, String> labels = new LinkedHashMap<>();
            Optional<Entry> labelsEntry = f.optional(target, "labels");
            if (labelsEntry.isPresent()) {
                MapNode labelsNode = f.map(labelsEntry.get().value(), "'labels' in " + at);
                for (Entry label : labelsNode.entries().values()) {
                    labels.put(label.key(), f.string(label, "labels of " + at));
                }
            }
            if (hosts.isEmpty() && labels.isEmpty()) {
                throw f.error(target.line(), at + " needs 'hosts' or 'labels'");
            }
            targets.add(new TargetRule(hosts, labels));
        }
        return targets;
    }

    private static Map<String, String> criticalOptions(Fields f, Entry entry, String where) throws PolicyException {
        String at = "critical_options of " + where;
        MapNode node = f.map(entry.value(), "'critical_options' in " + where);
        Map<String, String> options = new LinkedHashMap<>();
        for (Entry option : node.entries().values()) {
            switch (option.key()) {
                case Role.SOURCE_ADDRESS -> {
                    List<String> values = f.strings(option, at).stream().map(Item::text).toList();
                    options.put(option.key(), check(f, option.value().line(), () -> SourceAddress.normalize(values, where)));
                }
                case Role.FORCE_COMMAND -> {
                    String command = f.string(option, at);
                    check(f, option.value().line(), () -> {
                        Role.checkCriticalOption(Role.FORCE_COMMAND, command, where);
                        return null;
                    });
                    options.put(option.key(), command);
                }
                default -> throw f.error(option.line(), "unknown critical option '" + option.key() + "' in " + where
                        + " (allowed: force-command, source-address)");
            }
        }
        return options;
    }

    // ---- deny rules

    private void addDenyRule(Fields f, MapNode node) throws PolicyException {
        String name = name(f, node, "deny rule", denyRules.size() + 1);
        String where = "deny rule '" + name + "'";
        f.onlyKeys(node, DENY_KEYS, where);
        checkUnique(f, node, name, denyRules.containsKey(name) ? denyRules.get(name).origin() : null, "deny rule");
        Match match = match(f, f.required(node, "match", where), where);
        List<String> roleNames = new ArrayList<>();
        List<Item> items = optionalStrings(f, node, "roles", where);
        boolean everyRole = items.isEmpty() || items.stream().anyMatch(i -> i.text().equals("*"));
        if (everyRole && items.size() > 1) {
            throw f.error(items.get(0).line(), "'roles' in " + where + " mixes '*' with role names");
        }
        if (!everyRole) {
            for (Item item : items) {
                references.add(new RoleReference(f.source(), item.line(), name, item.text()));
                roleNames.add(item.text());
            }
        }
        denyRules.put(name, new DenyRule(name, match, roleNames, f.origin(node)));
    }

    // ---- host rules

    private void addHostRule(Fields f, MapNode node) throws PolicyException {
        String name = name(f, node, "host rule", hostRules.size() + 1);
        String where = "host rule '" + name + "'";
        f.onlyKeys(node, HOST_KEYS, where);
        checkUnique(f, node, name, hostRules.containsKey(name) ? hostRules.get(name).origin() : null, "host rule");
        Match match = match(f, f.required(node, "match", where), where);
        List<String> hostnames = new ArrayList<>();
        for (Item item : f.strings(f.required(node, "hostnames", where), where)) {
            hostnames.add(check(f, item.line(), () -> {
                HostRule.checkPattern(item.text(), where);
                return item.text();
            }));
        }
        Duration maxTtl = f.optional(node, "max_ttl", HostRule.DEFAULT_MAX_TTL, e -> {
            Duration max = f.duration(e, where);
            if (max.compareTo(HostRule.CEILING_TTL) > 0) {
                throw f.error(e.value().line(), "'max_ttl' in " + where + " is " + Durations.format(max)
                        + ", above the ceiling of " + Durations.format(HostRule.CEILING_TTL));
            }
            return max;
        });
        Duration ttl = defaultTtl(f, node, where, HostRule.DEFAULT_TTL, maxTtl);
        hostRules.put(name, new HostRule(name, match, hostnames, ttl, maxTtl, f.origin(node)));
    }

    // ---- admins

    private void addAdminRule(Fields f, MapNode node) throws PolicyException {
        // admin rules have no name: they are told apart by where they are defined
        String where = "admin rule #" + (adminRules.size() + 1);
        f.onlyKeys(node, ADMIN_KEYS, where);
        Match match = match(f, f.required(node, "match", where), where);
        adminRules.add(new AdminRule(match, f.origin(node)));
    }

    // ---- shared pieces

    static Match match(Fields f, Entry entry, String owner) throws PolicyException {
        String where = "match of " + owner;
        MapNode node = f.map(entry.value(), "'match' in " + owner);
        f.onlyKeys(node, MATCH_KEYS, where);
        List<String> issuers = texts(optionalStrings(f, node, "issuer", where));
        List<String> emails = texts(optionalStrings(f, node, "email", where));
        List<String> groups = texts(optionalStrings(f, node, "groups", where));
        Map<String, List<String>> claims = new LinkedHashMap<>();
        Optional<Entry> claimsEntry = f.optional(node, "claims");
        if (claimsEntry.isPresent()) {
            MapNode claimsNode = f.map(claimsEntry.get().value(), "'claims' in " + where);
            if (claimsNode.entries().isEmpty()) {
                throw f.error(claimsNode.line(), "'claims' in " + where + " names no claim");
            }
            for (Entry claim : claimsNode.entries().values()) {
                claims.put(claim.key(), texts(f.strings(claim, "claims of " + where)));
            }
        }
        if (issuers.isEmpty() && emails.isEmpty() && groups.isEmpty() && claims.isEmpty()) {
            throw f.error(node.line(), where + " needs at least one of issuer, email, groups, claims");
        }
        return new Match(issuers, emails, groups, claims);
    }

    /** The entry's name (read before anything else, so later messages can say whose key is wrong). */
    private static String name(Fields f, MapNode node, String kind, int position) throws PolicyException {
        Entry entry = f.required(node, "name", kind + " #" + position);
        String name = f.string(entry, kind + " #" + position);
        return check(f, entry.value().line(), () -> {
            Role.checkName(name, kind);
            return name;
        });
    }

    private static void checkUnique(Fields f, MapNode node, String name, String firstOrigin, String kind)
            throws PolicyException {
        if (firstOrigin != null) {
            int line = node.get("name").map(e -> e.value().line()).orElse(node.line());
            throw f.error(line, "duplicate " + kind + " '" + name + "' (first defined at " + firstOrigin + ")");
        }
    }

    /** {@code ttl} when given (at most {@code maxTtl}), else the smaller of the default and {@code maxTtl}. */
    private static Duration defaultTtl(Fields f, MapNode node, String where, Duration fallback, Duration maxTtl)
            throws PolicyException {
        Optional<Entry> entry = f.optional(node, "ttl");
        if (entry.isEmpty()) {
            return fallback.compareTo(maxTtl) <= 0 ? fallback : maxTtl;
        }
        Duration ttl = f.duration(entry.get(), where);
        if (ttl.compareTo(maxTtl) > 0) {
            throw f.error(entry.get().value().line(), "'ttl' in " + where + " is " + Durations.format(ttl)
                    + ", above max_ttl " + Durations.format(maxTtl));
        }
        return ttl;
    }

    static List<Item> optionalStrings(Fields f, MapNode node, String key, String where) throws PolicyException {
        Optional<Entry> entry = f.optional(node, key);
        return entry.isEmpty() ? List.of() : f.strings(entry.get(), where);
    }

    static List<String> texts(List<Item> items) {
        return items.stream().map(Item::text).toList();
    }

    interface Check<T> {
        T run();
    }

    /** Runs a model check, turning its IllegalArgumentException into a load error at {@code line}. */
    static <T> T check(Fields f, int line, Check<T> check) throws PolicyException {
        try {
            return check.run();
        } catch (IllegalArgumentException e) {
            throw f.error(line, e.getMessage());
        }
    }
}
