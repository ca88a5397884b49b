package dev.writ.policy;

import java.util.Collection;
import java.util.Locale;

/**
 * Shell-style patterns: {@code *} matches any run of characters (dots included), {@code ?}
 * exactly one character, everything else itself. Matched directly rather than through a regular
 * expression, so no character of a pattern is ever interpreted as regex syntax and matching
 * time stays linear in practice (no catastrophic backtracking).
 */
final class Glob {

    private Glob() {}

    static boolean matches(String pattern, String value, boolean ignoreCase) {
        if (ignoreCase) {
            pattern = pattern.toLowerCase(Locale.ROOT);
            value = value.toLowerCase(Locale.ROOT);
        }
        int p = 0;
        int v = 0;
        int starP = -1; // position after the last '*' seen
        int starV = -1; // where in value that '*' started matching
        while (v < value.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == value.charAt(v))
                    && pattern.charAt(p) != '*') {
                p++;
                v++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                starP = ++p;
                starV = v;
            } else if (starP >= 0) {
                // let the last '*' swallow one more character and retry from there
                p = starP;
                v = ++starV;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    static boolean matchesAny(Collection<String> patterns, String value, boolean ignoreCase) {
        for (String pattern : patterns) {
            if (matches(pattern, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasWildcard(String text) {
        return text.indexOf('*') >= 0 || text.indexOf('?') >= 0;
    }
}
