package dev.writ.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Points in time as people type them on the command line: an RFC 3339 time
 * ({@code 2026-11-18T09:00:00Z}, {@code 2026-11-18T10:00:00+01:00}), {@code now}, or a duration
 * before or after now ({@code -2h}, {@code +30m}), counted from the local clock.
 */
public final class Times {

    public static final String EXPECTED = "a time such as 2026-11-18T09:00:00Z, now, -2h (2 hours ago) or +30m (in 30 minutes)";

    private Times() {
    }

    /** The instant, or empty when the text is in none of the forms above. */
    public static Optional<Instant> parse(String text, Clock clock) {
        String t = text.strip();
        if (t.equals("now")) {
            return Optional.of(clock.instant());
        }
        if (t.startsWith("-") || t.startsWith("+")) {
            Optional<Duration> offset = Durations.parse(t.substring(1));
            return offset.map(d -> t.startsWith("-") ? clock.instant().minus(d) : clock.instant().plus(d));
        }
        try {
            return Optional.of(OffsetDateTime.parse(t).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
