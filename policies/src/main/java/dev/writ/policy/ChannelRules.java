package dev.writ.policy;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a role allows inside a session, channel by channel, as the bastion enforces it: which
 * commands an {@code exec} request may run ({@code commands}), which files SFTP may touch
 * ({@code files}), which {@code host:port} a local forward may reach ({@code forwards}), and
 * whether a channel the bastion cannot record is refused ({@code require_recording}).
 * Each part is null when the role does not restrict it.
 */
public record ChannelRules(Commands commands, Files files, Forwards forwards, boolean requireRecording) {

    /** A role that restricts nothing beyond its extensions. */
    public static final ChannelRules NONE = new ChannelRules(null, null, null, false);

    /**
     * Commands of {@code exec} requests: the whole command line as the client sent it (what
     * {@code scp} and {@code rsync} run on the far side included) must match an {@code allow}
     * pattern, when there are any, and no {@code deny} pattern. {@code shell: false} refuses
     * interactive shells too.
     */
    public record Commands(List<String> allow, List<String> deny, boolean shell) {
        public Commands {
            allow = List.copyOf(allow);
            deny = List.copyOf(deny);
        }

        public Verdict check(String command) {
            for (String pattern : deny) {
                if (Glob.matches(pattern, command, false)) {
                    return Verdict.deny("command matches deny pattern '" + pattern + "'");
                }
            }
            if (!allow.isEmpty() && !Glob.matchesAny(allow, command, false)) {
                return Verdict.deny("command matches no allowed pattern");
            }
            return Verdict.allow("command allowed");
        }
    }

    /** What an SFTP operation does to a path. */
    public enum FileAccess {
        /** open for reading, list a directory */
        READ,
        /** open for writing or creating, mkdir, setstat, symlink (the new link) */
        WRITE,
        /** remove, rmdir */
        REMOVE,
        /** rename (both the old and the new name) */
        RENAME;

        public String policyName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * SFTP paths, per kind of access: with {@code read_only} only reading is allowed; a kind with
     * {@code allow} patterns reaches only paths matching one; a path matching a {@code deny}
     * pattern of its kind is refused whatever else says. Paths are absolute and normalised by the
     * bastion before they are matched.
     */
    public record Files(boolean readOnly, Map<FileAccess, List<String>> allow, Map<FileAccess, List<String>> deny) {
        public Files {
            allow = copy(allow);
            deny = copy(deny);
        }

        public Verdict check(FileAccess access, String path) {
            if (readOnly && access != FileAccess.READ) {
                return Verdict.deny("read-only: no " + access.policyName());
            }
            for (String pattern : deny.getOrDefault(access, List.of())) {
                if (Glob.matches(pattern, path, false)) {
                    return Verdict.deny(access.policyName() + " of " + path + " denied by '" + pattern + "'");
                }
            }
            List<String> allowed = allow.getOrDefault(access, List.of());
            if (!allowed.isEmpty() && !Glob.matchesAny(allowed, path, false)) {
                return Verdict.deny(access.policyName() + " of " + path + " not allowed");
            }
            return Verdict.allow(access.policyName() + " allowed");
        }

        private static Map<FileAccess, List<String>> copy(Map<FileAccess, List<String>> map) {
            Map<FileAccess, List<String>> copy = new EnumMap<>(FileAccess.class);
            map.forEach((k, v) -> copy.put(Objects.requireNonNull(k), List.copyOf(v)));
            return java.util.Collections.unmodifiableMap(copy);
        }
    }

    /**
     * Local forwards ({@code ssh -L}): the destination, written {@code host:port} (host in lower
     * case, an IPv6 address in brackets), must match an {@code allow} pattern and no {@code deny} one.
     */
    public record Forwards(List<String> allow, List<String> deny) {
        public Forwards {
            allow = List.copyOf(allow);
            deny = List.copyOf(deny);
        }

        public Verdict check(String host, int port) {
            String h = host.toLowerCase(Locale.ROOT);
            String destination = (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
            for (String pattern : deny) {
                if (Glob.matches(pattern, destination, true)) {
                    return Verdict.deny("forwarding to " + destination + " denied by '" + pattern + "'");
                }
            }
            if (!Glob.matchesAny(allow, destination, true)) {
                return Verdict.deny("forwarding to " + destination + " is not allowed");
            }
            return Verdict.allow("forward allowed");
        }
    }

    /** Whether any part restricts anything. */
    public boolean restricts() {
        return commands != null || files != null || forwards != null || requireRecording;
    }
}
