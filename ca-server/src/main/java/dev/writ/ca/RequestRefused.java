package dev.writ.ca;

/**
 * A request the CA will not fulfil because of what the client sent or who it is. Carries the
 * HTTP status, a short reason for metrics and the audit log, and a detail safe to show the client.
 * Services throw it; only the HTTP layer turns it into a response.
 */
public final class RequestRefused extends Exception {

    private final int status;
    private final String reason;
    private final long retryAfterSeconds;

    private RequestRefused(int status, String reason, String detail) {
        this(status, reason, detail, 0);
    }

    private RequestRefused(int status, String reason, String detail, long retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static RequestRefused badRequest(String reason, String detail) {
        return new RequestRefused(400, reason, detail);
    }

    public static RequestRefused unauthorized(String reason, String detail) {
        return new RequestRefused(401, reason, detail);
    }

    public static RequestRefused forbidden(String reason, String detail) {
        return new RequestRefused(403, reason, detail);
    }

    public static RequestRefused notFound(String reason, String detail) {
        return new RequestRefused(404, reason, detail);
    }

    public static RequestRefused conflict(String reason, String detail) {
        return new RequestRefused(409, reason, detail);
    }

    public static RequestRefused tooLarge(String reason, String detail) {
        return new RequestRefused(413, reason, detail);
    }

    /** 429: over a rate limit; the answer carries {@code Retry-After: retryAfterSeconds}. */
    public static RequestRefused tooManyRequests(String reason, String detail, long retryAfterSeconds) {
        return new RequestRefused(429, reason, detail, retryAfterSeconds);
    }

    public static RequestRefused unavailable(String reason, String detail) {
        return new RequestRefused(503, reason, detail);
    }

    public int status() {
        return status;
    }

    /** A short machine-readable reason such as {@code ttl_above_max}: a metric label and audit field. */
    public String reason() {
        return reason;
    }

    /** Seconds the client should wait before trying again (a 429's {@code Retry-After}); 0 when there is no such advice. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public String detail() {
        return getMessage();
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // a refusal is an answer, not a fault: no stack trace to build or leak
    }
}
