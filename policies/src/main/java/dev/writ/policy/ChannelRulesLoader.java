package dev.writ.policy;

import dev.writ.policy.ChannelRules.FileAccess;
import dev.writ.policy.Fields.Item;
import dev.writ.policy.Yaml.Entry;
import dev.writ.policy.Yaml.MapNode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Reads a role's {@code commands}, {@code files}, {@code forwards} and {@code require_recording}. */
final class ChannelRulesLoader {

    static final List<String> ROLE_KEYS = List.of("commands", "files", "forwards", "require_recording");
    private static final List<String> COMMAND_KEYS = List.of("allow", "deny", "shell");
    private static final List<String> FILE_KEYS = List.of("read_only", "allow", "deny");
    private static final List<String> ACCESS_KEYS = List.of("read", "write", "remove", "rename");
    private static final List<String> FORWARD_KEYS = List.of("allow", "deny");

    private ChannelRulesLoader() {
    }

    static ChannelRules read(Fields f, MapNode role, String where) throws PolicyException {
        ChannelRules.Commands commands = f.optional(role, "commands", null, e -> commands(f, e, where));
        ChannelRules.Files files = f.optional(role, "files", null, e -> files(f, e, where));
        ChannelRules.Forwards forwards = f.optional(role, "forwards", null, e -> forwards(f, e, where));
        boolean requireRecording = f.optional(role, "require_recording", false, e -> f.bool(e, where));
        return new ChannelRules(commands, files, forwards, requireRecording);
    }

    private static ChannelRules.Commands commands(Fields f, Entry entry, String where) throws PolicyException {
        String at = "commands of " + where;
        MapNode node = f.map(entry.value(), "'commands' in " + where);
        f.onlyKeys(node, COMMAND_KEYS, at);
        List<String> allow = patterns(f, node, "allow", at);
        List<String> deny = patterns(f, node, "deny", at);
        boolean shell = f.optional(node, "shell", true, e -> f.bool(e, at));
        if (allow.isEmpty() && deny.isEmpty() && shell) {
            throw f.error(node.line(), at + " needs 'allow', 'deny' or 'shell: false'");
        }
        return new ChannelRules.Commands(allow, deny, shell);
    }

    private static ChannelRules.Files files(Fields f, Entry entry, String where) throws PolicyException {
        String at = "files of " + where;
        MapNode node = f.map(entry.value(), "'files' in " + where);
        f.onlyKeys(node, FILE_KEYS, at);
        boolean readOnly = f.optional(node, "read_only", false, e -> f.bool(e, at));
        Map<FileAccess, List<String>> allow = accesses(f, node, "allow", at);
        Map<FileAccess, List<String>> deny = accesses(f, node, "deny", at);
        if (!readOnly && allow.isEmpty() && deny.isEmpty()) {
            throw f.error(node.line(), at + " needs 'read_only', 'allow' or 'deny'");
        }
        return new ChannelRules.Files(readOnly, allow, deny);
    }

    private static Map<FileAccess, List<String>> accesses(Fields f, MapNode node, String key, String where)
            throws PolicyException {
        Map<FileAccess, List<String>> byAccess = new EnumMap<>(FileAccess.class);
        if (f.optional(node, key).isEmpty()) {
            return byAccess;
        }
        String at = key + " of " + where;
        MapNode kinds = f.map(f.optional(node, key).get().value(), "'" + key + "' in " + where);
        f.onlyKeys(kinds, ACCESS_KEYS, at);
        for (Entry kind : kinds.entries().values()) {
            List<String> paths = new ArrayList<>();
            for (Item item : f.strings(kind, at)) {
                if (!item.text().startsWith("/") && !item.text().startsWith("*")) {
                    throw f.error(item.line(), "path pattern '" + item.text() + "' in " + at
                            + " must be absolute (start with / or *)");
                }
                paths.add(item.text());
            }
            byAccess.put(FileAccess.valueOf(kind.key().toUpperCase(java.util.Locale.ROOT)), paths);
        }
        return byAccess;
    }

    private static ChannelRules.Forwards forwards(Fields f, Entry entry, String where) throws PolicyException {
        String at = "forwards of " + where;
        MapNode node = f.map(entry.value(), "'forwards' in " + where);
        f.onlyKeys(node, FORWARD_KEYS, at);
        List<String> allow = patterns(f, node, "allow", at);
        List<String> deny = patterns(f, node, "deny", at);
        if (allow.isEmpty()) {
            throw f.error(node.line(), at + " needs 'allow': the host:port patterns a forward may reach");
        }
        for (String pattern : allow) {
            checkDestination(f, node, pattern, at);
        }
        for (String pattern : deny) {
            checkDestination(f, node, pattern, at);
        }
        return new ChannelRules.Forwards(allow, deny);
    }

    private static void checkDestination(Fields f, MapNode node, String pattern, String at) throws PolicyException {
        int colon = pattern.lastIndexOf(':');
        if (colon <= 0 || colon == pattern.length() - 1 || pattern.chars().anyMatch(Character::isWhitespace)) {
            throw f.error(node.line(), "destination pattern '" + pattern + "' in " + at + " must be host:port"
                    + " (e.g. db01:5432, localhost:*)");
        }
    }

    private static List<String> patterns(Fields f, MapNode node, String key, String where) throws PolicyException {
        List<String> patterns = new ArrayList<>();
        for (Item item : PolicyLoader.optionalStrings(f, node, key, where)) {
            if (item.text().isBlank()) {
                throw f.error(item.line(), "empty pattern in '" + key + "' of " + where);
            }
            patterns.add(item.text());
        }
        return patterns;
    }
}
