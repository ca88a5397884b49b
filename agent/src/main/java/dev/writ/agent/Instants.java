package dev.writ.agent;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Times as the CLI prints them: UTC to the second ({@code 2026-11-21T09:00:00Z}), never a fraction. */
public final class Instants {

    private Instants() {
    }

    /** An RFC 3339 time from the CA to the second; anything else (null, unparsable) as it came. */
    public static String seconds(String time) {
        if (time == null) {
            return null;
        }
        try {
            return seconds(Instant.parse(time));
        } catch (DateTimeParseException e) {
            return time;
        }
    }

    public static String seconds(Instant time) {
        return time == null ? null : time.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
