package dev.writ.bastion.route;

import dev.writ.bastion.config.BastionConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The targets the bastion knows: those configured by name, and names matching
 * {@code dns_targets} patterns, which are looked up in DNS and reached on port 22. Whether an
 * engineer may reach one is policy's business, not this class's.
 */
public final class Targets {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*");

    private final Map<String, Target> configured = new LinkedHashMap<>();
    private final List<String> dnsPatterns;

    public Targets(List<BastionConfig.Target> targets, List<String> dnsPatterns) {
        for (BastionConfig.Target t : targets) {
            BastionConfig.Address address = t.socketAddress();
            configured.put(t.name(), new Target(t.name(), address.host(), address.port(), t.labels()));
        }
        this.dnsPatterns = List.copyOf(dnsPatterns);
    }

    /** The target called {@code name}, if the bastion may route to it at all. */
    public Optional<Target> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        Target target = configured.get(lower);
        if (target != null) {
            return Optional.of(target);
        }
        if (lower.length() <= 253 && NAME.matcher(lower).matches()
                && dnsPatterns.stream().anyMatch(pattern -> wildcard(pattern, lower))) {
            return Optional.of(new Target(lower, lower, 22, Map.of()));
        }
        return Optional.empty();
    }

    /** {@code *} any run of characters, {@code ?} one character. */
    static boolean wildcard(String pattern, String value) {
        int p = 0;
        int v = 0;
        int star = -1;
        int mark = 0;
        while (v < value.length()) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && (pattern.charAt(p) == '?' || pattern.charAt(p) == value.charAt(v))) {
                p++;
                v++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = v;
            } else if (star >= 0) {
                p = star + 1;
                v = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
