package dev.writ.agent;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as people type them and as the CA's policies write them: {@code 90s}, {@code 30m}, {@code 1h30m}, {@code 7d}. */
public final class Durations {

    private static final Pattern FORMAT =
            Pattern.compile("(?:(\\d{1,6})d)?(?:(\\d{1,7})h)?(?:(\\d{1,9})m)?(?:(\\d{1,10})s)?");

    private Durations() {
    }

    /** The duration, or empty when the text is not a positive duration in this format. */
    public static Optional<Duration> parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (text.isEmpty() || !m.matches()) {
            return Optional.empty();
        }
        Duration d = Duration.ofDays(part(m, 1)).plusHours(part(m, 2)).plusMinutes(part(m, 3)).plusSeconds(part(m, 4));
        return d.isZero() ? Optional.empty() : Optional.of(d);
    }

    /** The shortest text, e.g. {@code 1h30m}; whole seconds (a negative duration prints as its size). */
    public static String format(Duration d) {
        long seconds = Math.abs(d.getSeconds());
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

    /** Lets picocli options take {@code 5m} rather than ISO-8601's {@code PT5M}. */
    public static final class Converter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value).orElseThrow(() -> new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration such as 90s, 30m, 8h or 1h30m"));
        }
    }
}
