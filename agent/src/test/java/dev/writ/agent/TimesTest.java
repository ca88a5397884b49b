package dev.writ.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TimesTest {

    static final Instant NOW = Instant.parse("2026-11-18T09:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("ok/rfc3339-utc", "2026-11-18T07:30:00Z", "2026-11-18T07:30:00Z"),
                Arguments.of("ok/rfc3339-offset", "2026-11-18T10:00:00+01:00", "2026-11-18T09:00:00Z"),
                Arguments.of("ok/rfc3339-fraction", "2026-11-18T09:00:00.250Z", "2026-11-18T09:00:00.250Z"),
                Arguments.of("ok/now", "now", "2026-11-18T09:00:00Z"),
                Arguments.of("ok/hours-ago", "-2h", "2026-11-18T07:00:00Z"),
                Arguments.of("ok/minutes-ahead", "+30m", "2026-11-18T09:30:00Z"),
                Arguments.of("ok/combined", "-1d2h", "2026-11-17T07:00:00Z"),
                Arguments.of("fail/no-sign", "2h", null),
                Arguments.of("fail/no-offset", "2026-11-18T09:00:00", null),
                Arguments.of("fail/date-only", "2026-11-18", null),
                Arguments.of("fail/zero", "-0s", null),
                Arguments.of("fail/word", "yesterday", null),
                Arguments.of("fail/empty", "", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsRfc3339AndTimesRelativeToTheClock(String name, String text, String expected) {
        assertEquals(Optional.ofNullable(expected).map(Instant::parse), Times.parse(text, CLOCK));
    }
}
