package dev.writ.protocol.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndedMarkerTest {

    static Stream<Arguments> markers() {
        return Stream.of(
                Arguments.of("ok/idle", "{\"event\":\"ended\",\"reason\":\"idle_timeout\"}", "idle_timeout"),
                Arguments.of("ok/admin", "{\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                        + "\"admin_reason\":\"INC-9 \\\"leak\\\"\"}", "ended_by_admin by sam@example.com: INC-9 \"leak\""),
                Arguments.of("none/no-reason", "{\"event\":\"ended\"}", null),
                Arguments.of("none/reason-not-text", "{\"event\":\"ended\",\"reason\":7}", null),
                Arguments.of("none/closed", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":1}", null),
                Arguments.of("none/plain-label", "session ended: idle_timeout", null),
                Arguments.of("none/json-array", "[\"ended\"]", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("markers")
    void describesOnlyTheBastionsEndedMarker(String name, String data, String said) {
        assertEquals(said, EndedMarker.describe(data));
    }
}
