package dev.writ.agent.recordings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.writ.agent.WritException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimesTest {

    @ParameterizedTest(name = "ok/{0}")
    @CsvSource({"90, 90", "90.5, 90.5", "1:30, 90", "1:02:03, 3723", "0:04.25, 4.25", "1m30s, 90", "0, 0"})
    void readsOffsets(String text, double seconds) throws Exception {
        assertEquals(seconds, Times.offset(text));
    }

    @ParameterizedTest(name = "fail/{0}")
    @ValueSource(strings = {"soon", "-5", "1:60", "1:2:3:4", "NaN", ":"})
    void refusesOtherOffsets(String text) {
        assertThrows(WritException.class, () -> Times.offset(text));
    }

    @ParameterizedTest(name = "ok/{0}")
    @CsvSource({"0, 0:00", "4.25, 0:04.3", "4.2, 0:04.2", "59.99, 1:00", "754, 12:34", "3723, 1:02:03"})
    void printsOffsetsRoundedUpToTenths(double seconds, String text) {
        assertEquals(text, Times.formatOffset(seconds));
    }

    @ParameterizedTest(name = "ok/{0}")
    @CsvSource({"2026-11-21T09:00:00+01:00, 2026-11-21T08:00:00Z", "24h, 2026-11-20T12:00:00Z", "7d, 2026-11-14T12:00:00Z"})
    void readsTimesAsRfc3339OrADurationAgo(String text, String instant) throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);
        assertEquals(instant, Times.when(text, "--since", clock));
    }
}
