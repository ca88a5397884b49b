package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Query parameters and path ids, refused with a 400 naming the parameter when malformed. Every
 * request is checked once by {@link #wellFormed} before any handler (or the credential check)
 * runs, so that no handler, service or store ever sees a control character, a broken encoding,
 * an overlong value or a parameter given twice.
 */
final class Query {

    /** The longest query value or path id accepted; longer is refused before anything reads it. */
    static final int MAX_VALUE_LENGTH = 1024;

    private Query() {
    }

    /**
     * A before-matched handler: refuses a request whose query string or path ids hold a control
     * character (C0, DEL or C1), percent-encodings that are not UTF-8, a value over
     * {@link #MAX_VALUE_LENGTH} characters, or the same parameter twice.
     */
    static void wellFormed(Context ctx) throws RequestRefused {
        String raw = ctx.queryString();
        if (raw != null && !raw.isEmpty()) {
            Set<String> seen = new HashSet<>();
            for (String pair : raw.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals), null);
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1), name);
                String shown = printable(name);
                if (hasControl(name)) {
                    throw bad("a query parameter name contains a control character");
                }
                if (!seen.add(name)) {
                    throw bad("query parameter " + shown + " is given more than once");
                }
                if (hasControl(value)) {
                    throw bad("query parameter " + shown + " contains a control character");
                }
                if (name.length() > MAX_VALUE_LENGTH || value.length() > MAX_VALUE_LENGTH) {
                    throw bad("query parameter " + shown + " is longer than " + MAX_VALUE_LENGTH + " characters");
                }
            }
        }
        for (Map.Entry<String, String> id : ctx.pathParamMap().entrySet()) {
            if (hasControl(id.getValue())) {
                throw RequestRefused.badRequest("bad_path", "path segment " + id.getKey() + " contains a control character");
            }
            if (id.getValue().length() > MAX_VALUE_LENGTH) {
                throw RequestRefused.badRequest("bad_path", "path segment " + id.getKey() + " is longer than "
                        + MAX_VALUE_LENGTH + " characters");
            }
        }
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
        throw bad(name + " must be a whole number from " + min + " to " + max);
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
            throw bad(name + " must be an RFC 3339 time such as 2026-11-18T09:00:00Z");
        }
    }

    /** A non-empty value, or null when absent or empty. */
    static String text(Context ctx, String name) {
        String value = ctx.queryParam(name);
        return value == null || value.isEmpty() ? null : value;
    }

    /** U+0000–U+001F, U+007F and the C1 controls U+0080–U+009F: never part of a name, a search or an id. */
    static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Form decoding ({@code +} is a space), strictly: a {@code %} without two hex digits, or bytes
     * that are not UTF-8, are refused rather than replaced. {@code name} is null while decoding a name.
     */
    private static String decode(String encoded, String name) throws RequestRefused {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int high = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
                int low = high < 0 ? -1 : Character.digit(encoded.charAt(i + 2), 16);
                if (low < 0) {
                    throw bad(where(name) + " has a % that is not followed by two hex digits");
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw bad(where(name) + " is not UTF-8 once percent-decoded");
        }
    }

    private static String where(String name) {
        return name == null ? "a query parameter name" : "query parameter " + printable(name);
    }

    /** A name as it can be shown in a detail: only when it is short and printable, else a placeholder. */
    private static String printable(String name) {
        return name.length() <= 64 && !hasControl(name) ? name : "(unprintable name)";
    }

    private static RequestRefused bad(String detail) {
        return RequestRefused.badRequest("bad_query", detail);
    }
}
