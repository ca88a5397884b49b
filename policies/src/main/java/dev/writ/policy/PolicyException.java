package dev.writ.policy;

import java.util.Objects;

/**
 * A policy that cannot be loaded. The message names the file and the 1-based line of the
 * offending YAML node, e.g. {@code roles.yaml:12: unknown key 'max_tll' in role 'engineer'}.
 * Line 0 means the error concerns the whole source (a missing directory, say).
 */
public final class PolicyException extends Exception {

    private final String source;
    private final int line;
    private final String detail;

    PolicyException(String source, int line, String detail) {
        super(format(source, line, detail));
        this.source = Objects.requireNonNull(source, "source");
        this.line = line;
        this.detail = Objects.requireNonNull(detail, "detail");
    }

    PolicyException(String source, int line, String detail, Throwable cause) {
        this(source, line, detail);
        initCause(cause);
    }

    /** The file name (or the name given to {@link Policy#parse}). */
    public String source() {
        return source;
    }

    /** The 1-based line of the offending node, or 0 when the error is about the whole source. */
    public int line() {
        return line;
    }

    /** The message without the {@code source:line:} prefix. */
    public String detail() {
        return detail;
    }

    private static String format(String source, int line, String detail) {
        return line > 0 ? source + ":" + line + ": " + detail : source + ": " + detail;
    }
}
