package dev.writ.bastion.record;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Keeps what is typed with the terminal's echo off out of a recording. The bastion cannot see
 * the target's terminal settings, but it sees their effect: with echo on, what is typed comes
 * back in the output at once; a password typed at {@code sudo}, {@code ssh}, {@code read -s} or a
 * database prompt does not. So typed text is held until the output shows it: text whose echo is
 * the next thing printed is recorded; text for which the output goes on with something else, or
 * shows nothing within {@link #WINDOW_NANOS}, is withheld (only its length is recorded). Keys
 * without visible characters (Enter, arrows, Ctrl-C) are recorded at once.
 *
 * <p>It errs towards withholding: text typed ahead of a prompt, or echoed in pieces mixed with
 * other output, is withheld too (it still appears as echo in the output). Not thread-safe: its
 * {@link ChannelRecording} calls it under its lock.
 */
final class EchoWatch {

    /** How long typed text waits for its echo. */
    static final long WINDOW_NANOS = 2_000_000_000L;

    /** Text typed and not yet seen in the output; {@code offset} is where in {@link #echo} its echo may start. */
    record Typed(long nanos, byte[] bytes, String visible, int offset) {
    }

    private final ArrayDeque<Typed> pending = new ArrayDeque<>();
    /** The visible output since the oldest pending text was typed. */
    private final StringBuilder echo = new StringBuilder();
    private long withheld;

    /** Input: the bytes to record at once (no visible character), or null when held for its echo. */
    byte[] typed(long nanos, byte[] bytes) {
        String visible = visible(new String(bytes, StandardCharsets.UTF_8));
        if (visible.isEmpty()) {
            return bytes;
        }
        pending.add(new Typed(nanos, bytes, visible, echo.length()));
        return null;
    }

    /** Output: the pending input it shows as echoed, oldest first, to be recorded now. */
    List<Typed> printed(byte[] bytes, int offset, int length) {
        if (pending.isEmpty()) {
            return List.of();
        }
        echo.append(visible(new String(bytes, offset, length, StandardCharsets.UTF_8)));
        List<Typed> echoed = new ArrayList<>();
        int cursor = 0;
        for (Iterator<Typed> it = pending.iterator(); it.hasNext(); ) {
            Typed typed = it.next();
            int start = Math.max(cursor, typed.offset());
            if (echo.length() - start < typed.visible().length()) {
                break; // its echo may still come
            }
            it.remove();
            if (echo.indexOf(typed.visible(), start) == start) {
                echoed.add(typed);
                cursor = start + typed.visible().length();
            } else {
                withheld += typed.bytes().length; // the output went on without it
            }
        }
        if (pending.isEmpty()) {
            echo.setLength(0);
        }
        return echoed;
    }

    /** Withholds what waited longer than the window for its echo. */
    void expire(long now) {
        while (!pending.isEmpty() && now - pending.peek().nanos() > WINDOW_NANOS) {
            withheld += pending.poll().bytes().length;
        }
        if (pending.isEmpty()) {
            echo.setLength(0);
        }
    }

    /** The channel closed: nothing pending was echoed. */
    void close() {
        expire(Long.MAX_VALUE);
    }

    /** Bytes withheld since the last call. */
    long takeWithheld() {
        long bytes = withheld;
        withheld = 0;
        return bytes;
    }

    /** The text without terminal escape sequences (CSI, OSC, two-character ESC) and control characters. */
    static String visible(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == 0x1b && i + 1 < text.length()) {
                char kind = text.charAt(i + 1);
                i += 2;
                if (kind == '[') {
                    while (i < text.length() && (text.charAt(i) < 0x40 || text.charAt(i) > 0x7e)) {
                        i++;
                    }
                    i++;
                } else if (kind == ']') {
                    while (i < text.length() && text.charAt(i) != 0x07 && !(text.charAt(i) == 0x1b)) {
                        i++;
                    }
                    i += i < text.length() && text.charAt(i) == 0x1b ? 2 : 1;
                }
                continue;
            }
            if (c >= 0x20 && c != 0x7f && c != 0xfffd) {
                out.append(c);
            }
            i++;
        }
        return out.toString();
    }
}
