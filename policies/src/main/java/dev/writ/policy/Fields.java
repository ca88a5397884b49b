package dev.writ.policy;

import dev.writ.policy.Yaml.Entry;
import dev.writ.policy.Yaml.ListNode;
import dev.writ.policy.Yaml.MapNode;
import dev.writ.policy.Yaml.Node;
import dev.writ.policy.Yaml.ScalarNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Typed reads from the YAML tree of one file, each failing with a {@link PolicyException} that
 * names the file, the line of the offending node and where in the policy it sits
 * ({@code where} reads like "role 'engineer'" or "match of deny rule 'x'").
 */
final class Fields {

    /** A scalar's text with its line, for checks that point at one element of a list. */
    record Item(String text, int line) {}

    private final String source;

    Fields(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    PolicyException error(int line, String detail) {
        return new PolicyException(source, line, detail);
    }

    String origin(Node node) {
        return source + ":" + node.line();
    }

    MapNode map(Node node, String what) throws PolicyException {
        if (node instanceof MapNode map) {
            return map;
        }
        throw error(node.line(), what + " must be a mapping, got " + node.describe());
    }

    /** Refuses any key not in {@code known}, suggesting the closest known key for a typo. */
    void onlyKeys(MapNode map, List<String> known, String where) throws PolicyException {
        for (Entry entry : map.entries().values()) {
            if (!known.contains(entry.key())) {
                throw error(entry.line(), "unknown key '" + entry.key() + "' in " + where + suggestion(entry.key(), known));
            }
        }
    }

    Entry required(MapNode map, String key, String where) throws PolicyException {
        return map.get(key).orElseThrow(() -> error(map.line(), where + " is missing '" + key + "'"));
    }

    /** Any non-null scalar, as written: {@code ref: main}, {@code project_id: 42}. */
    String string(Entry entry, String where) throws PolicyException {
        return scalar(entry.value(), "'" + entry.key() + "' in " + where, "a string").text();
    }

    /** A single scalar or a non-empty list of scalars. */
    List<Item> strings(Entry entry, String where) throws PolicyException {
        String what = "'" + entry.key() + "' in " + where;
        if (entry.value() instanceof ScalarNode scalar && !scalar.isNull()) {
            return List.of(new Item(scalar.text(), scalar.line()));
        }
        if (!(entry.value() instanceof ListNode list)) {
            throw error(entry.value().line(), what + " must be a string or a list of strings, got "
                    + entry.value().describe());
        }
        if (list.items().isEmpty()) {
            throw error(list.line(), what + " must not be an empty list");
        }
        List<Item> items = new ArrayList<>();
        for (Node node : list.items()) {
            ScalarNode scalar = scalar(node, "each element of " + what, "a string");
            items.add(new Item(scalar.text(), scalar.line()));
        }
        return items;
    }

    Duration duration(Entry entry, String where) throws PolicyException {
        String text = scalar(entry.value(), "'" + entry.key() + "' in " + where, Durations.EXPECTED).text();
        return Durations.parse(text).orElseThrow(() -> error(entry.value().line(),
                "'" + entry.key() + "' in " + where + " must be " + Durations.EXPECTED + ", got '" + text + "'"));
    }

    boolean bool(Entry entry, String where) throws PolicyException {
        String text = scalar(entry.value(), "'" + entry.key() + "' in " + where, "true or false").text();
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        throw error(entry.value().line(), "'" + entry.key() + "' in " + where + " must be true or false, got '" + text + "'");
    }

    /** A whole number written as a YAML integer: {@code approvals: 2}. */
    int integer(Entry entry, String where) throws PolicyException {
        ScalarNode scalar = scalar(entry.value(), "'" + entry.key() + "' in " + where, "a whole number");
        if (scalar.token() == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT && scalar.text().length() <= 9) {
            return Integer.parseInt(scalar.text());
        }
        throw error(entry.value().line(), "'" + entry.key() + "' in " + where + " must be a whole number, got '"
                + scalar.text() + "'");
    }

    Optional<Entry> optional(MapNode map, String key) {
        return map.get(key);
    }

    /** Reads one entry's value. */
    interface Reader<T> {
        T read(Entry entry) throws PolicyException;
    }

    /** The key's value read by {@code reader}, or {@code fallback} when the key is absent. */
    <T> T optional(MapNode map, String key, T fallback, Reader<T> reader) throws PolicyException {
        Optional<Entry> entry = map.get(key);
        return entry.isPresent() ? reader.read(entry.get()) : fallback;
    }

    private ScalarNode scalar(Node node, String what, String expected) throws PolicyException {
        if (node instanceof ScalarNode scalar && !scalar.isNull()) {
            return scalar;
        }
        throw error(node.line(), what + " must be " + expected + ", got " + node.describe());
    }

    /** " (did you mean 'max_ttl'?)" when a known key is at most two edits away, else "". */
    static String suggestion(String unknown, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int d = distance(unknown, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
