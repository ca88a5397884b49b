package dev.writ.policy;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which targets a role reaches through the bastion. A target matches when its hostname matches
 * one of {@code hosts} (globs, case-insensitive) and it carries every label in {@code labels}
 * (values are globs, case-sensitive). An empty {@code hosts} means any hostname and empty
 * {@code labels} means no label is required, but a rule always has at least one of the two.
 */
public record TargetRule(List<String> hosts, Map<String, String> labels) {

    public TargetRule {
        hosts = List.copyOf(hosts);
        labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        if (hosts.isEmpty() && labels.isEmpty()) {
            throw new IllegalArgumentException("a target rule needs hosts or labels");
        }
    }

    /** Whether the target (a hostname) with the given labels is reached by this rule. */
    public boolean matches(String target, Map<String, String> labels) {
        Objects.requireNonNull(target, "target");
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (!hosts.isEmpty() && !Glob.matchesAny(hosts, target, true)) {
            return false;
        }
        for (Map.Entry<String, String> wanted : this.labels.entrySet()) {
            String value = actual.get(wanted.getKey());
            if (value == null || !Glob.matches(wanted.getValue(), value, false)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        if (labels.isEmpty()) {
            return "hosts " + hosts;
        }
        return hosts.isEmpty() ? "labels " + labels : "hosts " + hosts + " with labels " + labels;
    }
}
