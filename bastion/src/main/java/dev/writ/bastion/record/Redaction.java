package dev.writ.bastion.record;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The patterns whose matches never reach a stored recording: what the target prints is cut into
 * lines, and every match in them is replaced by {@value #MARK} before the line is written (so
 * before the CA indexes it, and before the file is digested and signed). A pattern may span
 * lines (a private key's PEM block): text from a line holding {@code -----BEGIN} is held until
 * its {@code -----END} line, up to {@link #MAX_HELD} characters.
 */
public final class Redaction {

    public static final String MARK = "[redacted]";
    /** AWS access key ids, private keys in PEM form, HTTP bearer tokens. */
    public static final List<String> DEFAULTS = List.of(
            "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
            "-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
            "(?i)authorization:\\s*bearer\\s+[A-Za-z0-9._~+/=-]+");
    /** Output held back at most (an unfinished line, an open PEM block) before it is written as it is. */
    static final int MAX_HELD = 64 * 1024;
    /** An unfinished line is held at most this long (characters) when no block is open. */
    static final int MAX_LINE = 8 * 1024;

    public static final Redaction NONE = new Redaction(List.of());

    private final List<Pattern> patterns;

    private Redaction(List<Pattern> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** Compiles the configured regular expressions; an invalid one is an IllegalArgumentException naming it. */
    public static Redaction of(List<String> regexes) {
        return new Redaction(regexes.stream().map(Redaction::compile).toList());
    }

    private static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("recordings.redact: '" + regex + "' is not a regular expression: "
                    + e.getDescription());
        }
    }

    boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** {@code text} with every match replaced; {@code count} gets the number of replacements. */
    String apply(String text, long[] count) {
        String result = text;
        for (Pattern pattern : patterns) {
            Matcher matcher = pattern.matcher(result);
            StringBuilder out = null;
            while (matcher.find()) {
                if (out == null) {
                    out = new StringBuilder(result.length());
                }
                matcher.appendReplacement(out, MARK);
                count[0]++;
            }
            if (out != null) {
                matcher.appendTail(out);
                result = out.toString();
            }
        }
        return result;
    }

    /** One output stream of one recording: text goes in as it comes, whole lines come out redacted. */
    final class Stream {
        private final StringBuilder held = new StringBuilder();
        private final long[] count;

        Stream(long[] count) {
            this.count = count;
        }

        /** What can be written now of what was held plus {@code text}: redacted, possibly empty. */
        String feed(String text) {
            if (patterns.isEmpty()) {
                return text;
            }
            held.append(text);
            int cut = releasable();
            if (cut <= 0) {
                return "";
            }
            String ready = held.substring(0, cut);
            held.delete(0, cut);
            return apply(ready, count);
        }

        /** Everything still held, redacted (the channel closed). */
        String end() {
            String rest = held.toString();
            held.setLength(0);
            return rest.isEmpty() ? "" : apply(rest, count);
        }

        /** How much of the held text may go: up to the last line end, but not into an open PEM block. */
        private int releasable() {
            int begin = held.lastIndexOf("-----BEGIN");
            int end = begin < 0 ? -1 : held.indexOf("-----END", begin);
            boolean open = begin >= 0 && (end < 0 || held.indexOf("-----", end + 8) < 0);
            if (open && held.length() < MAX_HELD) {
                int lineStart = held.lastIndexOf("\n", begin) + 1;
                return lineStart;
            }
            int newline = Math.max(held.lastIndexOf("\n"), held.lastIndexOf("\r"));
            if (newline < 0) {
                return held.length() >= MAX_LINE ? held.length() : 0;
            }
            int cut = newline + 1;
            // an END line is released whole, with its block
            return held.length() - cut >= MAX_LINE ? held.length() : cut;
        }
    }
}
