package dev.writ.protocol.recording;

/**
 * What a person would read from terminal output: escape sequences (CSI, OSC, DCS, two-byte ESC
 * sequences) and control characters removed, carriage returns and line feeds kept as line breaks.
 * Used to index recordings for full-text search; not a terminal emulator.
 */
public final class TerminalText {

    private TerminalText() {
    }

    public static String strip(String output) {
        StringBuilder text = new StringBuilder(output.length());
        int i = 0;
        int n = output.length();
        while (i < n) {
            char c = output.charAt(i);
            if (c == 0x1b) {
                i = skipEscape(output, i + 1);
                continue;
            }
            if (c == 0x9b) { // 8-bit CSI
                i = skipCsi(output, i + 1);
                continue;
            }
            if (c == '\r' || c == '\n') {
                if (text.length() == 0 || text.charAt(text.length() - 1) != '\n') {
                    text.append('\n');
                }
            } else if (c == '\t') {
                text.append(' ');
            } else if (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0)) {
                text.append(c);
            }
            i++;
        }
        return text.toString();
    }

    private static int skipEscape(String s, int i) {
        if (i >= s.length()) {
            return i;
        }
        char kind = s.charAt(i);
        return switch (kind) {
            case '[' -> skipCsi(s, i + 1);
            case ']', 'P', 'X', '^', '_' -> skipString(s, i + 1);
            case '(', ')', '*', '+', '#', '%' -> Math.min(s.length(), i + 2); // charset designations: one more byte
            default -> i + 1; // two-byte sequence such as ESC = or ESC 7
        };
    }

    /** CSI: parameter and intermediate bytes, then one final byte in 0x40..0x7e. */
    private static int skipCsi(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c >= 0x40 && c <= 0x7e) {
                return i;
            }
        }
        return i;
    }

    /** OSC, DCS and friends: up to BEL or ST (ESC \). */
    private static int skipString(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == 0x07) {
                return i + 1;
            }
            if (c == 0x1b && i + 1 < s.length() && s.charAt(i + 1) == '\\') {
                return i + 2;
            }
            i++;
        }
        return i;
    }
}
