package dev.writ.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * What the bastion does with a session's recording, in increasing strictness:
 * {@code OFF} records nothing; {@code BEST_EFFORT} records and reports losses but never ends a
 * session because recording failed; {@code STRICT} ends the session when it cannot be recorded.
 */
public enum RecordingMode {
    OFF,
    BEST_EFFORT,
    STRICT;

    /** The stricter of the two modes. */
    public RecordingMode strictest(RecordingMode other) {
        return compareTo(other) >= 0 ? this : other;
    }

    /** The spelling in policy files: {@code off}, {@code best_effort}, {@code strict}. */
    public String policyName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<RecordingMode> fromPolicyName(String text) {
        for (RecordingMode mode : values()) {
            if (mode.policyName().equals(text)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
