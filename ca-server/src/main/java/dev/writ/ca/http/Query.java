package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Query parameters, refused with a 400 naming the parameter when malformed. */
final class Query {

    private Query() {
    }

    static long number(Context ctx, String name, long fallback, long min, long max) throws RequestRefused {
        String value = ctx.queryParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw RequestRefused.badRequest("bad_query", name + " must be a whole number from " + min + " to " + max);
    }

    static int number(Context ctx, String name, int fallback, int min, int max) throws RequestRefused {
        return (int) number(ctx, name, (long) fallback, min, max);
    }

    /** An RFC 3339 time, or null when absent. */
    static Instant time(Context ctx, String name) throws RequestRefused {
        String value = ctx.queryParam(name);
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw RequestRefused.badRequest("bad_query", name + " must be an RFC 3339 time such as 2026-11-18T09:00:00Z");
        }
    }

    /** A non-empty value, or null when absent or empty. */
    static String text(Context ctx, String name) {
        String value = ctx.queryParam(name);
        return value == null || value.isEmpty() ? null : value;
    }
}
