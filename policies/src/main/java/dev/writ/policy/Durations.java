package dev.writ.policy;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Policy durations: {@code 90s}, {@code 30m}, {@code 8h}, {@code 7d}, {@code 1h30m} (units in d, h, m, s order). */
public final class Durations {

    private static final Pattern FORMAT =
            Pattern.compile("(?:(\\d{1,6})d)?(?:(\\d{1,7})h)?(?:(\\d{1,9})m)?(?:(\\d{1,10})s)?");

    static final String EXPECTED = "a duration like 90s, 30m, 8h, 7d or 1h30m";

    private Durations() {}

    /** The duration, or empty when the text is not a positive duration in this format. */
    public static Optional<Duration> parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (text.isEmpty() || !m.matches()) {
            return Optional.empty();
        }
        Duration d = Duration.ofDays(part(m, 1))
                .plusHours(part(m, 2))
                .plusMinutes(part(m, 3))
                .plusSeconds(part(m, 4));
        return d.isZero() ? Optional.empty() : Optional.of(d);
    }

    /** The shortest text in the policy format, e.g. {@code 1h30m}, {@code 7d}. */
    public static String format(Duration d) {
        long seconds = d.getSeconds();
        if (seconds == 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            long n = seconds / sizes[i];
            if (n > 0) {
                out.append(n).append(units[i]);
                seconds -= n * sizes[i];
            }
        }
        return out.toString();
    }

    private static long part(Matcher m, int group) {
        String digits = m.group(group);
        return digits == null ? 0 : Long.parseLong(digits);
    }
}
