package dev.writ.policy;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A role as parsed from the policy: who it matches and what a certificate issued through it
 * allows. A role is held standing (its {@code match} holds), just in time (it is
 * {@code requestable} and an access grant for it is active), or both.
 *
 * @param match           who holds the role standing; null for a role that is only requestable
 * @param principals      principal templates as written, e.g. {@code {{email.local}}}, {@code deploy}
 * @param targets         what the role reaches through the bastion; empty means nothing
 * @param defaultTtl      the certificate lifetime when the client asks none; at most {@code maxTtl}
 * @param criticalOptions {@code source-address} (canonical, comma-separated) and/or {@code force-command}
 * @param idleTimeout     null when the role sets none
 * @param origin          where it was defined, {@code file:line}
 * @param requestable     how the role is requested and approved; null when it cannot be requested
 * @param channels        what the role allows inside a session: commands, files, forwards, recording required
 */
public record Role(String name, Match match, List<String> principals, List<TargetRule> targets,
                   Duration defaultTtl, Duration maxTtl, Set<String> extensions, Map<String, String> criticalOptions,
                   RecordingMode recording, boolean recordInput, Duration idleTimeout, String origin,
                   Requestable requestable, ChannelRules channels) {

    /** Names of roles, deny rules and host rules (they end up in certificate extensions and logs). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    static final Duration DEFAULT_TTL = Duration.ofHours(8);

    /** The OpenSSH certificate extensions a role may grant. */
    public static final Set<String> EXTENSIONS = Set.of("permit-X11-forwarding", "permit-agent-forwarding",
            "permit-port-forwarding", "permit-pty", "permit-user-rc");

    public static final String SOURCE_ADDRESS = "source-address";
    public static final String FORCE_COMMAND = "force-command";

    public Role {
        checkName(name, "role");
        if (match == null && requestable == null) {
            throw new IllegalArgumentException("role '" + name + "' needs a match, a requestable section, or both");
        }
        principals = List.copyOf(principals);
        if (principals.isEmpty()) {
            throw new IllegalArgumentException("role '" + name + "' needs at least one principal");
        }
        String where = "role '" + name + "'";
        principals.forEach(p -> PrincipalTemplate.parse(p, where));
        targets = List.copyOf(targets);
        checkTtls(defaultTtl, maxTtl);
        extensions = Collections.unmodifiableSet(new TreeSet<>(extensions));
        for (String extension : extensions) {
            checkExtension(extension, where);
        }
        criticalOptions = Collections.unmodifiableMap(new TreeMap<>(criticalOptions));
        criticalOptions.forEach((option, value) -> checkCriticalOption(option, value, where));
        Objects.requireNonNull(recording, "recording");
        if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
            throw new IllegalArgumentException("idle_timeout must be positive");
        }
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(channels, "channels");
        if (channels.requireRecording() && recording == RecordingMode.OFF) {
            throw new IllegalArgumentException("require_recording in " + where + " needs recording best_effort or strict, not off");
        }
    }

    /** A role that restricts nothing inside its sessions. */
    public Role(String name, Match match, List<String> principals, List<TargetRule> targets, Duration defaultTtl,
                Duration maxTtl, Set<String> extensions, Map<String, String> criticalOptions, RecordingMode recording,
                boolean recordInput, Duration idleTimeout, String origin, Requestable requestable) {
        this(name, match, principals, targets, defaultTtl, maxTtl, extensions, criticalOptions, recording, recordInput,
                idleTimeout, origin, requestable, ChannelRules.NONE);
    }

    /** A role that cannot be requested. */
    public Role(String name, Match match, List<String> principals, List<TargetRule> targets, Duration defaultTtl,
                Duration maxTtl, Set<String> extensions, Map<String, String> criticalOptions, RecordingMode recording,
                boolean recordInput, Duration idleTimeout, String origin) {
        this(name, match, principals, targets, defaultTtl, maxTtl, extensions, criticalOptions, recording, recordInput,
                idleTimeout, origin, null);
    }

    /** Whether some identities hold the role without an access grant. */
    public boolean hasStandingMatch() {
        return match != null;
    }

    public boolean isRequestable() {
        return requestable != null;
    }

    static void checkName(String name, String what) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " name '" + name + "' is not valid: use letters, digits,"
                    + " '.', '_' and '-', starting with a letter or digit, at most 64 characters");
        }
    }

    static void checkTtls(Duration ttl, Duration maxTtl) {
        if (ttl == null || maxTtl == null || ttl.isNegative() || ttl.isZero() || maxTtl.isNegative() || maxTtl.isZero()) {
            throw new IllegalArgumentException("ttl and max_ttl must be positive");
        }
        if (ttl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("ttl " + Durations.format(ttl) + " is above max_ttl "
                    + Durations.format(maxTtl));
        }
    }

    static void checkExtension(String extension, String where) {
        if (!EXTENSIONS.contains(extension)) {
            throw new IllegalArgumentException("unknown extension '" + extension + "' in " + where + " (allowed: "
                    + String.join(", ", new TreeSet<>(EXTENSIONS)) + ")");
        }
    }

    static void checkCriticalOption(String option, String value, String where) {
        switch (option) {
            case SOURCE_ADDRESS -> {
                if (!SourceAddress.normalize(List.of(value), where).equals(value)) {
                    throw new IllegalArgumentException("source-address '" + value + "' in " + where
                            + " is not in canonical form");
                }
            }
            case FORCE_COMMAND -> {
                if (value.isBlank() || value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("force-command in " + where + " must be one non-empty line");
                }
            }
            default -> throw new IllegalArgumentException("unknown critical option '" + option + "' in " + where
                    + " (allowed: force-command, source-address)");
        }
    }
}
