package dev.writ.agent.recordings;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Times as reviewers type them ({@code --since 24h}, {@code --from 1:30}) and as the CLI prints offsets. */
final class Times {

    private Times() {
    }

    /** RFC 3339 for the CA, from RFC 3339 or a duration ago ({@code 24h}, {@code 7d}); null stays null. */
    static String when(String text, String option, Clock clock) throws WritException {
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant().toString();
        } catch (DateTimeParseException notATime) {
            Optional<Duration> ago = Durations.parse(text);
            if (ago.isPresent()) {
                return clock.instant().minus(ago.get()).toString();
            }
        }
        throw new WritException(Exit.USAGE, option + " must be an RFC 3339 time (2026-11-21T09:00:00Z) or a duration ago (24h, 7d), not '" + text + "'");
    }

    /** Seconds into a recording: {@code 90}, {@code 90.5}, {@code 1:30}, {@code 1:02:03} or {@code 1m30s}. */
    static double offset(String text) throws WritException {
        try {
            if (text.contains(":")) {
                double seconds = 0;
                String[] parts = text.split(":", -1);
                if (parts.length > 3) {
                    throw new NumberFormatException();
                }
                for (int i = 0; i < parts.length; i++) {
                    double part = i == parts.length - 1 ? Double.parseDouble(parts[i]) : Integer.parseInt(parts[i]);
                    if (part < 0 || (i > 0 && part >= 60)) {
                        throw new NumberFormatException();
                    }
                    seconds = seconds * 60 + part;
                }
                return seconds;
            }
            Optional<Duration> duration = Durations.parse(text);
            if (duration.isPresent()) {
                return duration.get().toSeconds();
            }
            double seconds = Double.parseDouble(text);
            if (seconds >= 0 && Double.isFinite(seconds)) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new WritException(Exit.USAGE, "--from must be seconds (90), m:ss (1:30) or a duration (1m30s), not '" + text + "'");
    }

    /**
     * {@code m:ss} or {@code h:mm:ss}, with tenths when there are any, rounded up: {@code --from}
     * with a printed hit's time shows the hit.
     */
    static String formatOffset(double seconds) {
        long tenths = (long) Math.ceil(seconds * 10 - 1e-6);
        long whole = tenths / 10;
        String text = whole >= 3600
                ? String.format("%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
                : String.format("%d:%02d", whole / 60, whole % 60);
        return tenths % 10 == 0 ? text : text + "." + tenths % 10;
    }
}
