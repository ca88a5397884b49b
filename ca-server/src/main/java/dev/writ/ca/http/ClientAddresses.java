package dev.writ.ca.http;

import dev.writ.ca.config.RateLimits;
import io.javalin.http.Context;
import java.util.Enumeration;
import java.util.regex.Pattern;

/**
 * The client address that rate limits and refusal summaries key on: the socket's, or, only for a
 * CA configured behind a proxy, the last address of the last {@code X-Forwarded-For} header (the
 * one the proxy appended; anything before it the client may have written). A header that does not
 * end in an IP literal falls back to the socket's address. Nothing here resolves a name.
 */
final class ClientAddresses {

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private final boolean forwardedFor;

    ClientAddresses(RateLimits.ClientAddress mode) {
        this.forwardedFor = mode == RateLimits.ClientAddress.x_forwarded_for;
    }

    String of(Context ctx) {
        if (forwardedFor) {
            String last = null;
            for (Enumeration<String> values = ctx.req().getHeaders("X-Forwarded-For"); values != null && values.hasMoreElements(); ) {
                last = values.nextElement();
            }
            String address = last == null ? "" : last.substring(last.lastIndexOf(',') + 1).strip();
            if (IP_LITERAL.matcher(address).matches()) {
                return address;
            }
        }
        return ctx.ip();
    }
}
